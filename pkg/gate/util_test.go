package gate

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/report"
	"github.com/google/go-containerregistry/pkg/name"
)

func reportOpts(stage string) report.Options { return report.Options{Stage: stage} }

func goApproval(role string) attestations.Approval {
	return attestations.Approval{Decision: attestations.DecisionGo, Role: role, Reason: "reviewed", ApprovedAt: time.Now().UTC().Truncate(time.Second)}
}

// signedApproval returns a GO for role signed with key, about ref's digest, unpushed.
func (h *harness) signedApproval(ref, key, role string) ([]byte, name.Digest) {
	h.t.Helper()
	d, err := h.client.Resolve(context.Background(), ref)
	if err != nil {
		h.t.Fatal(err)
	}
	st, err := attestations.Statement(d.Context().Name(), d.DigestStr(), attestations.ApprovalType, goApproval(role))
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := h.signers[key].Sign(st)
	if err != nil {
		h.t.Fatal(err)
	}
	return b, d
}

func encodeB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeB64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
