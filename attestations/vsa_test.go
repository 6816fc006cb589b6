package attestations_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"google.golang.org/protobuf/encoding/protojson"
)

func TestValidateRefusesAVSAMissingARequiredField(t *testing.T) {
	good := map[string]any{
		"verifier": map[string]any{"id": "https://v"}, "resourceUri": "oci://r@sha256:00",
		"policy": map[string]any{"uri": "https://p"}, "verificationResult": "PASSED", "verifiedLevels": []string{"X"},
	}
	for _, tc := range []struct{ field, says string }{
		{"verifier", "verifier.id"}, {"resourceUri", "resourceUri"}, {"policy", "policy"},
		{"verificationResult", "verificationResult"}, {"verifiedLevels", "verifiedLevels"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			p := map[string]any{}
			for k, v := range good {
				if k != tc.field {
					p[k] = v
				}
			}
			raw, _ := json.Marshal(p)
			if err := attestations.Validate(attestations.VSAType, raw); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("without %s: %v, want an error naming %s", tc.field, err, tc.says)
			}
		})
	}
	raw, _ := json.Marshal(good)
	if err := attestations.Validate(attestations.VSAType, raw); err != nil {
		t.Errorf("a complete VSA: %v", err)
	}
}

// protojson reads resource_uri as resourceUri; the policy, like every JSON reader, would not.
func TestValidateRefusesAVSAFieldByItsProtoName(t *testing.T) {
	raw := []byte(`{"verifier":{"id":"https://v"},"resource_uri":"oci://r@sha256:00","policy":{"uri":"https://p"},"verificationResult":"PASSED","verifiedLevels":["X"]}`)
	if err := attestations.Validate(attestations.VSAType, raw); err == nil || !strings.Contains(err.Error(), "resource_uri") {
		t.Fatalf("got %v; want resource_uri refused by name", err)
	}
}

func TestReadVSAIsTheInverseOfVSA(t *testing.T) {
	want := attestations.Summary{
		VerifierID: "https://ci.example/verifier", Time: time.Date(2026, 11, 29, 12, 0, 0, 5, time.UTC),
		Resource: "reg.example/app@sha256:" + strings.Repeat("a", 64), Environment: "prod west",
		PolicyVersion: "sha256:" + strings.Repeat("b", 64), Passed: true,
		Inputs: []attestations.Input{{URI: "reg.example/app@sha256:" + strings.Repeat("c", 64), Digest: "sha256:" + strings.Repeat("c", 64)}},
	}
	for _, passed := range []bool{true, false} {
		want.Passed = passed
		v, err := attestations.VSA(want)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := protojson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := attestations.ReadVSA(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ReadVSA(VSA(s)) = %+v, want %+v", got, want)
		}
	}
}

func TestReadVSARefusesWhatNamesNoPolicyVersionOrTime(t *testing.T) {
	base := `"verifier":{"id":"https://v"},"resourceUri":"oci://r@sha256:00","verificationResult":"PASSED","verifiedLevels":["X"]`
	for _, tc := range []struct{ desc, json, says string }{
		{"no time", `{` + base + `,"policy":{"uri":"https://gatehq.dev/policy/environment/prod","digest":{"sha256":"ab"}}}`, "timeVerified"},
		{"another verifier's policy", `{` + base + `,"timeVerified":"2026-11-29T00:00:00Z","policy":{"uri":"https://slsa.example/p","digest":{"sha256":"ab"}}}`, "policy.uri"},
		{"no environment", `{` + base + `,"timeVerified":"2026-11-29T00:00:00Z","policy":{"uri":"https://gatehq.dev/policy/environment/","digest":{"sha256":"ab"}}}`, "names no environment"},
		{"two policy digests", `{` + base + `,"timeVerified":"2026-11-29T00:00:00Z","policy":{"uri":"https://gatehq.dev/policy/environment/prod","digest":{"sha256":"ab","sha512":"cd"}}}`, "policy.digest"},
		{"no policy digest", `{` + base + `,"timeVerified":"2026-11-29T00:00:00Z","policy":{"uri":"https://gatehq.dev/policy/environment/prod"}}`, "policy.digest"},
		{"invalid", `{"verifier":{"id":"https://v"}}`, "resourceUri"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := attestations.ReadVSA([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want an error naming %s", err, tc.says)
			}
		})
	}
}

// VSA v1 has no field for gate's environment (it rides in policy.uri): a strict reader, such as
// in-toto's binding, refuses a VSA that adds one, at the top or inside policy, and so does Validate.
func TestValidateRefusesAVSAFieldVSAv1DoesNotHave(t *testing.T) {
	base := `"verifier":{"id":"https://v"},"resourceUri":"oci://r@sha256:00","verificationResult":"PASSED","verifiedLevels":["X"]`
	for _, raw := range []string{
		`{` + base + `,"policy":{"uri":"https://p"},"environment":"prod"}`,
		`{` + base + `,"policy":{"uri":"https://p","environment":"prod"}}`,
	} {
		if err := attestations.Validate(attestations.VSAType, []byte(raw)); err == nil || !strings.Contains(err.Error(), "environment") {
			t.Errorf("%s: got %v, want the field environment refused by name", raw, err)
		}
	}
}
