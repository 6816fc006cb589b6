package verify_test

import (
	"encoding/json"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// FuzzBundle fuzzes what a verifier reads from a registry, through the
// exported API alone: a Sigstore bundle (Trust.Bundle) and a bare DSSE
// envelope (Trust.Envelope), seeded with real ones signed by a key the
// trust holds. The property beyond "no panic": evidence only without an
// error, signed by the one role, of a type that role may sign.
func FuzzBundle(f *testing.F) {
	const digest = "sha256:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := sign.ParseKey(kp.PrivatePEM, nil)
	if err != nil {
		f.Fatal(err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(kp.PublicPEM)
	if err != nil {
		f.Fatal(err)
	}
	trust, err := verify.NewTrust([]verify.Key{{Name: "ci.pub", Role: "ci", PublicKey: pub}}, nil, nil,
		map[string][]string{"ci": {attestations.TestResultType}})
	if err != nil {
		f.Fatal(err)
	}
	for _, predicateType := range []string{attestations.TestResultType, attestations.ApprovalType} {
		st, err := attestations.Statement("reg/app", digest, predicateType, map[string]any{"result": "PASSED"})
		if err != nil {
			f.Fatal(err)
		}
		b, err := signer.Sign(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var bundle struct {
			DSSE json.RawMessage `json:"dsseEnvelope"`
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(bundle.DSSE)) // cosign's legacy layout stores the envelope alone
		if _, err := trust.Envelope(bundle.DSSE, digest); predicateType == attestations.TestResultType && err != nil {
			f.Fatalf("the seed envelope does not verify: %v", err)
		}
	}
	f.Add([]byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": [{"sig": "AA=="}]}`))

	f.Fuzz(func(t *testing.T, raw []byte) {
		for layout, check := range map[string]func([]byte, string) (*verify.Evidence, error){
			"bundle": trust.Bundle, "envelope": trust.Envelope,
		} {
			ev, err := check(raw, digest)
			switch {
			case err != nil && ev != nil:
				t.Fatalf("%s: evidence %+v with error %v", layout, ev, err)
			case err == nil && ev == nil:
				t.Fatalf("%s: no evidence and no error", layout)
			case err == nil && (ev.Signer.Role != "ci" || !trust.Allows("ci", ev.PredicateType) || ev.Predicate == nil):
				t.Fatalf("%s: evidence %+v that the trust does not allow", layout, ev)
			}
		}
	})
}
