package verify

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// statementAbout is an in-toto v1 statement naming each digest as a subject.
func statementAbout(t *testing.T, predicateType string, predicate any, digests ...string) []byte {
	t.Helper()
	var subjects []map[string]any
	for _, d := range digests {
		alg, hex, _ := strings.Cut(d, ":")
		subjects = append(subjects, map[string]any{"name": "reg/app", "digest": map[string]string{alg: hex}})
	}
	b, err := json.Marshal(map[string]any{"_type": statementV1, "subject": subjects, "predicateType": predicateType, "predicate": predicate})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEvidenceRules(t *testing.T) {
	ci, ciPub := newSigner(t)
	allowed := map[string][]string{"ci": {attestations.TestResultType, attestations.CoverageType, attestations.ProvenanceType}}
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, allowed)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, allowed, WithMultiSubject())
	if err != nil {
		t.Fatal(err)
	}
	coverage := map[string]any{"format": "gocover", "unit": "statements", "covered": 9, "total": 10, "percent": 90, "files": 1}
	for _, tc := range []struct {
		desc  string
		trust *Trust
		st    []byte
		want  error  // nil: counts
		says  string // what the reason must say
	}{
		{"tests about [OTHER, V]", trust, statementAbout(t, attestations.TestResultType, map[string]any{"result": "PASSED"}, otherDigest, digest), ErrSubjects, "exactly one"},
		{"tests about [V, OTHER]", trust, statementAbout(t, attestations.TestResultType, map[string]any{"result": "PASSED"}, digest, otherDigest), ErrSubjects, "multiSubject"},
		{"provenance about [OTHER, V], which may name several by default", trust, statementAbout(t, attestations.ProvenanceType, map[string]any{"buildDefinition": map[string]any{}}, otherDigest, digest), nil, ""},
		{"provenance about [OTHER, V], with multiSubject: []", strict, statementAbout(t, attestations.ProvenanceType, map[string]any{}, otherDigest, digest), ErrSubjects, "exactly one"},
		{"a coverage body under the test-result type", trust, statementAbout(t, attestations.TestResultType, coverage, digest), ErrInvalidPredicate, "unknown field"},
		{`{"hello":"world"} as test results`, trust, statementAbout(t, attestations.TestResultType, map[string]any{"hello": "world"}, digest), ErrInvalidPredicate, "hello"},
		{"result: 42", trust, statementAbout(t, attestations.TestResultType, map[string]any{"result": 42}, digest), ErrInvalidPredicate, "result"},
		{"test results with no result", trust, statementAbout(t, attestations.TestResultType, map[string]any{"passedTests": []string{"a"}}, digest), ErrInvalidPredicate, "result"},
		{"coverage above its total", trust, statementAbout(t, attestations.CoverageType, map[string]any{"format": "lcov", "unit": "lines", "covered": 11, "total": 10, "percent": 110}, digest), ErrInvalidPredicate, "covered"},
		{"coverage with a key in capitals", trust, statementAbout(t, attestations.CoverageType, map[string]any{"format": "lcov", "unit": "lines", "covered": 1, "total": 10, "Percent": 95}, digest), ErrInvalidPredicate, "Percent"},
		{"a valid coverage", trust, statementAbout(t, attestations.CoverageType, coverage, digest), nil, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b, err := ci.Sign(tc.st)
			if err != nil {
				t.Fatal(err)
			}
			for layout, raw := range map[string][]byte{"bundle": b, "legacy envelope": envelope(t, b)} {
				var ev *Evidence
				if layout == "bundle" {
					ev, err = tc.trust.Bundle(raw, digest)
				} else {
					ev, err = tc.trust.Envelope(raw, digest)
				}
				if tc.want == nil {
					if err != nil {
						t.Errorf("%s: want evidence, got %v", layout, err)
					}
					continue
				}
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s: got %+v, %v; want %v saying %q", layout, ev, err, tc.want, tc.says)
				}
			}
		})
	}
}

// withSignatures returns bundle b with its envelope's signatures replaced by sigs.
func withSignatures(t *testing.T, b []byte, sigs ...[]byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	for _, s := range sigs {
		list = append(list, map[string]any{"sig": base64.StdEncoding.EncodeToString(s)})
	}
	m["dsseEnvelope"].(map[string]any)["signatures"] = list
	out, _ := json.Marshal(m)
	return out
}

func firstSig(t *testing.T, b []byte) []byte {
	t.Helper()
	var m struct {
		DSSE struct {
			Signatures []struct{ Sig []byte } `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.DSSE.Signatures[0].Sig
}

func TestExactlyOneSignature(t *testing.T) {
	ci, ciPub := newSigner(t)
	stranger, _ := newSigner(t)
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, map[string][]string{"ci": {attestations.TestResultType}})
	if err != nil {
		t.Fatal(err)
	}
	st := makeStatement(t, digest, attestations.TestResultType, map[string]any{"result": "PASSED"})
	good, _ := ci.Sign(st)
	bad, _ := stranger.Sign(st)
	for _, tc := range []struct {
		desc string
		raw  []byte
	}{
		{"the trusted signature first", withSignatures(t, good, firstSig(t, good), firstSig(t, bad))},
		{"a stranger's signature first", withSignatures(t, good, firstSig(t, bad), firstSig(t, good))},
		{"none", withSignatures(t, good)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if ev, err := trust.Bundle(tc.raw, digest); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "exactly one") {
				t.Errorf("bundle: got %+v, %v; want refused for its signature count", ev, err)
			}
			var b struct {
				DSSE struct {
					Payload     []byte                 `json:"payload"`
					PayloadType string                 `json:"payloadType"`
					Signatures  []struct{ Sig []byte } `json:"signatures"`
				} `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(tc.raw, &b); err != nil {
				t.Fatal(err)
			}
			sigs := []map[string]string{}
			for _, s := range b.DSSE.Signatures {
				sigs = append(sigs, map[string]string{"keyid": "", "sig": base64.StdEncoding.EncodeToString(s.Sig)})
			}
			env, _ := json.Marshal(map[string]any{"payloadType": b.DSSE.PayloadType, "payload": base64.StdEncoding.EncodeToString(b.DSSE.Payload), "signatures": sigs})
			if ev, err := trust.Envelope(env, digest); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "exactly one") {
				t.Errorf("legacy envelope: got %+v, %v; want refused for its signature count", ev, err)
			}
		})
	}
}

// An untrusted payload is refused for its signature, before it is parsed:
// a statement that is not even JSON, signed by a stranger, is "untrusted",
// not "malformed".
func TestSignatureIsCheckedBeforeTheStatement(t *testing.T) {
	_, ciPub := newSigner(t)
	stranger, _ := newSigner(t)
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := stranger.Sign([]byte(`{"_type": not json at all` + strings.Repeat(" ", 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = trust.Bundle(b, digest)
	if !errors.Is(err, ErrUntrustedSigner) || !strings.Contains(err.Error(), "roles.<role>.keys in gate.yaml") {
		t.Fatalf("got %v; want an untrusted-signer rejection saying where to add the key", err)
	}
	if _, err := trust.Bundle([]byte("\x00\x01junk"), digest); !errors.Is(err, ErrMalformed) {
		t.Fatalf("junk: got %v, want malformed", err)
	}
}
