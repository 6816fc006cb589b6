package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

// attestLegacy writes an approval the way `cosign attest` (v2, without
// --new-bundle-format) does, with cosign's own library: a DSSE envelope of
// an in-toto Statement v0.1, as a layer of the image's sha256-<hex>.att tag.
func (h *harness) attestLegacy(t *testing.T, d name.Digest, key, role string) {
	t.Helper()
	sv, err := cosign.LoadPrivateKey(testKeys(t)[key].priv, []byte("pw"), nil)
	if err != nil {
		t.Fatal(err)
	}
	predicate := goApproval(role)
	statement := map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": attestations.ApprovalType,
		"subject":       []map[string]any{{"name": d.Context().Name(), "digest": map[string]string{"sha256": d.DigestStr()[len("sha256:"):]}}},
		"predicate":     predicate,
	}
	payload, err := json.Marshal(statement)
	if err != nil {
		t.Fatal(err)
	}
	envelope, err := dsse.WrapSigner(sv, types.IntotoPayloadType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	att, err := static.NewAttestation(envelope, static.WithLayerMediaType(types.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": attestations.ApprovalType}))
	if err != nil {
		t.Fatal(err)
	}
	se, err := ociremote.SignedEntity(d)
	if err != nil {
		t.Fatal(err)
	}
	if se, err = mutate.AttachAttestationToEntity(se, att); err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteAttestations(d.Context(), se); err != nil {
		t.Fatal(err)
	}
}

func TestReadsCosignLegacyAttestations(t *testing.T) {
	h := newHarness(t, false, 1)
	ref, d := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "sre")
	h.attestLegacy(t, d, "qa", "qa")
	h.attestLegacy(t, d, "stranger", "qa")

	dec := h.verify(ref)
	if !dec.Allowed {
		t.Fatalf("qa's GO in cosign's legacy layout: want blessed, got %+v, rejected %+v", dec.Gates, dec.Rejected)
	}
	legacy := 0
	for _, e := range dec.Evidence {
		if e.Source == oci.Legacy {
			legacy++
			if e.Signer.Role != "qa" {
				t.Errorf("legacy evidence signed as %+v, want role qa", e.Signer)
			}
		}
	}
	if legacy != 1 {
		t.Errorf("want 1 legacy evidence, got %d", legacy)
	}
	if r := rejected(t, dec); r.Source != oci.Legacy || !errors.Is(r.Err, verify.ErrUntrustedSigner) {
		t.Errorf("the stranger's legacy attestation: rejected %+v, want an untrusted-signer rejection", r)
	}

	// With legacy reading off, qa's GO is no longer seen.
	h.cfg.Legacy = false
	dec, err := Verify(context.Background(), h.client, h.cfg, "", ref, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed {
		t.Fatal("legacy: false still counted the legacy attestation")
	}
}
