package verify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// A signed statement holding a key twice, exactly or in another case, is
// read differently by encoding/json (which matches fields without regard
// to case and keeps the last) and by cosign's or OPA's readers: each
// variant here but the test results (which the schema check refuses too,
// for an unknown field) would count as evidence if gate read it as
// encoding/json does; each must be refused naming the key, in both layouts.
func TestRepeatedKeysAreRefused(t *testing.T) {
	ci, ciPub := newSigner(t)
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil,
		map[string][]string{"ci": {attestations.TestResultType, attestations.ProvenanceType, attestations.ApprovalType}})
	if err != nil {
		t.Fatal(err)
	}
	alg, hex, _ := strings.Cut(digest, ":")
	oalg, ohex, _ := strings.Cut(otherDigest, ":")
	subject := fmt.Sprintf(`[{"name":"reg/app","digest":{%q:%q}}]`, alg, hex)
	other := fmt.Sprintf(`[{"name":"reg/app","digest":{%q:%q}}]`, oalg, ohex)
	approvedAt := time.Now().UTC().Format(time.RFC3339)
	approval := func(decision string) string {
		return fmt.Sprintf(`{"decision":%q,"role":"ci","approvedAt":%q}`, decision, approvedAt)
	}
	st := func(rest string) []byte { return []byte(`{"_type":"` + statementV1 + `",` + rest + `}`) }
	for _, tc := range []struct {
		desc, key string
		st        []byte
	}{
		{"predicateType twice, in another case", `"PredicateType"`, st(`"subject":` + subject +
			`,"predicateType":"` + attestations.TestResultType + `","PredicateType":"` + attestations.ProvenanceType + `","predicate":{"result":"FAILED"}`)},
		{"test results with result and Result", `"Result"`, st(`"subject":` + subject +
			`,"predicateType":"` + attestations.TestResultType + `","predicate":{"result":"FAILED","Result":"PASSED"}`)},
		{"subject twice, another image's first", `"subject"`, st(`"subject":` + other + `,"subject":` + subject +
			`,"predicateType":"` + attestations.ProvenanceType + `","predicate":{}`)},
		{"an approval's decision twice, NOGO first", `"decision"`, st(`"subject":` + subject +
			`,"predicateType":"` + attestations.ApprovalType + `","predicate":` + strings.Replace(approval("GO"), `{`, `{"decision":"NOGO",`, 1))},
		{"a provenance field deep in the predicate, in another case", `"BuildType"`, st(`"subject":` + subject +
			`,"predicateType":"` + attestations.ProvenanceType + `","predicate":{"buildDefinition":{"buildType":"https://good","externalParameters":{"x":[{"buildType":"a","BuildType":"b"}]}}}`)},
		{"the predicate twice, in another case", `"Predicate"`, st(`"subject":` + subject +
			`,"predicateType":"` + attestations.ApprovalType + `","predicate":` + approval("NOGO") + `,"Predicate":` + approval("GO"))},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b, err := ci.Sign(tc.st)
			if err != nil {
				t.Fatal(err)
			}
			for layout, read := range map[string]func() (*Evidence, error){
				"bundle":          func() (*Evidence, error) { return trust.Bundle(b, digest) },
				"legacy envelope": func() (*Evidence, error) { return trust.Envelope(envelope(t, b), digest) },
			} {
				ev, err := read()
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "readers disagree") {
					t.Errorf("%s: got %+v, %v; want refused as malformed, naming %s", layout, ev, err, tc.key)
				}
			}
		})
	}
}

// The legacy layout's envelope is read with encoding/json too: an envelope
// carrying two payloads (each readers could take) is refused, naming the key.
func TestEnvelopeWithRepeatedKeysIsRefused(t *testing.T) {
	ci, ciPub := newSigner(t)
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, map[string][]string{"ci": {attestations.TestResultType}})
	if err != nil {
		t.Fatal(err)
	}
	passed, _ := ci.Sign(makeStatement(t, digest, attestations.TestResultType, map[string]any{"result": "PASSED"}))
	env := string(envelope(t, passed))
	for _, tc := range []struct{ desc, key, raw string }{
		{"payloadType twice", `"payloadType"`, strings.Replace(env, `{`, `{"payloadType":"text/plain",`, 1)},
		{"payload in another case", `"Payload"`, strings.Replace(env, `{`, `{"Payload":"e30=",`, 1)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if ev, err := trust.Envelope([]byte(tc.raw), digest); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("got %+v, %v; want refused as malformed, naming %s", ev, err, tc.key)
			}
		})
	}
}
