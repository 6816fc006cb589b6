package admittest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ApproveLegacy adds a GO signed by signer's key, claiming role, to d's
// cosign legacy .att image, as `cosign attest` without the new bundle
// format does: a DSSE envelope per layer, annotated with its predicate type.
// A signer whose role may not sign approvals makes a layer gate rejects.
func (f *Fixture) ApproveLegacy(t testing.TB, d name.Digest, signer, role string) {
	t.Helper()
	p := attestations.Approval{Decision: attestations.DecisionGo, Role: role, Reason: "reviewed by " + role, ApprovedAt: time.Now().UTC().Truncate(time.Second)}
	st, err := attestations.Statement(d.Context().Name(), d.DigestStr(), attestations.ApprovalType, p)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.signers[signer].Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	// A bundle's dsseEnvelope, in protojson, is a DSSE envelope as cosign writes it.
	var b struct{ DsseEnvelope json.RawMessage }
	if err := json.Unmarshal(raw, &b); err != nil || len(b.DsseEnvelope) == 0 {
		t.Fatalf("reading the envelope out of a bundle: %v", err)
	}
	img := empty.Image
	if prev, err := remote.Image(oci.LegacyTag(d)); err == nil {
		img = prev
	}
	layer := static.NewLayer(b.DsseEnvelope, oci.DSSEMediaType)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, Annotations: map[string]string{"predicateType": attestations.ApprovalType}, MediaType: types.MediaType(oci.DSSEMediaType)})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(oci.LegacyTag(d), img); err != nil {
		t.Fatal(err)
	}
}
