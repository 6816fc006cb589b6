package verify

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

const (
	digest      = "sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
	otherDigest = "sha256:" + "cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34"
)

func newSigner(t *testing.T) (*sign.Signer, crypto.PublicKey) {
	t.Helper()
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParseKey(kp.PrivatePEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(kp.PublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	return s, pub
}

func makeStatement(t *testing.T, subject, predicateType string, predicate any) []byte {
	t.Helper()
	st, err := attestations.Statement("reg/app", subject, predicateType, predicate)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// envelope turns a bundle into the bare DSSE envelope cosign's legacy layout stores.
func envelope(t *testing.T, bundle []byte) []byte {
	t.Helper()
	var b struct {
		DSSE struct {
			Payload     []byte `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig []byte `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"payloadType": b.DSSE.PayloadType,
		"payload":     base64.StdEncoding.EncodeToString(b.DSSE.Payload),
		"signatures":  []map[string]string{{"keyid": "", "sig": base64.StdEncoding.EncodeToString(b.DSSE.Signatures[0].Sig)}},
	})
	return out
}

func TestBundleAndEnvelopeChecks(t *testing.T) {
	ci, ciPub := newSigner(t)
	qa, qaPub := newSigner(t)
	stranger, _ := newSigner(t)
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}, {Name: "qa", Role: "qa", PublicKey: qaPub}}, nil, nil,
		map[string][]string{"ci": {attestations.TestResultType}, "qa": {attestations.ApprovalType}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]any{"result": "PASSED"}
	approval := func(role string) map[string]any {
		return map[string]any{"decision": "GO", "role": role, "approvedAt": "2026-11-01T00:00:00Z"}
	}
	other := otherDigest
	for _, tc := range []struct {
		desc   string
		signer *sign.Signer
		st     []byte
		want   error // nil: evidence signed by wantRole
		role   string
	}{
		{"ci signs tests", ci, makeStatement(t, digest, attestations.TestResultType, tests), nil, "ci"},
		{"qa signs its GO", qa, makeStatement(t, digest, attestations.ApprovalType, approval("qa")), nil, "qa"},
		{"a stranger signs tests", stranger, makeStatement(t, digest, attestations.TestResultType, tests), ErrUntrustedSigner, ""},
		{"qa signs tests", qa, makeStatement(t, digest, attestations.TestResultType, tests), ErrRoleNotAllowed, ""},
		{"ci signs an approval", ci, makeStatement(t, digest, attestations.ApprovalType, approval("ci")), ErrRoleNotAllowed, ""},
		{"qa's GO claims sre", qa, makeStatement(t, digest, attestations.ApprovalType, approval("sre")), ErrRoleClaim, ""},
		{"about another digest", ci, makeStatement(t, other, attestations.TestResultType, tests), ErrWrongSubject, ""},
		{"not an in-toto statement", ci, []byte(`{"_type":"https://example.com/other","predicateType":"x","predicate":{}}`), ErrMalformed, ""},
		{"not JSON", ci, []byte(`{{`), ErrMalformed, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b, err := tc.signer.Sign(tc.st)
			if err != nil {
				t.Fatal(err)
			}
			for layout, check := range map[string]func([]byte, string) (*Evidence, error){
				"bundle":          func(raw []byte, d string) (*Evidence, error) { return trust.Bundle(raw, d) },
				"legacy envelope": func(raw []byte, d string) (*Evidence, error) { return trust.Envelope(envelope(t, raw), d) },
			} {
				ev, err := check(b, digest)
				if tc.want != nil {
					if !errors.Is(err, tc.want) {
						t.Errorf("%s: got evidence %+v, err %v; want %v", layout, ev, err, tc.want)
					}
					continue
				}
				if err != nil || ev.Signer.Role != tc.role {
					t.Errorf("%s: got %+v, %v; want evidence signed by %s", layout, ev, err, tc.role)
				}
			}
		})
	}
}

func TestTamperedPayloadIsRejected(t *testing.T) {
	ci, ciPub := newSigner(t)
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, map[string][]string{"ci": {attestations.TestResultType}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ci.Sign(makeStatement(t, digest, attestations.TestResultType, map[string]any{"result": "FAILED"}))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	env := m["dsseEnvelope"].(map[string]any)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "FAILED", "PASSED", 1)))
	tampered, _ := json.Marshal(m)
	if ev, err := trust.Bundle(tampered, digest); !errors.Is(err, ErrUntrustedSigner) {
		t.Fatalf("a payload changed after signing: got %+v, %v", ev, err)
	}
}

func TestOneKeyBelongsToOneRole(t *testing.T) {
	_, pub := newSigner(t)
	if _, err := NewTrust([]Key{{Name: "a", Role: "qa", PublicKey: pub}, {Name: "b", Role: "sre", PublicKey: pub}}, nil, nil, nil); err == nil {
		t.Fatal("the same key in two roles was accepted")
	}
}
