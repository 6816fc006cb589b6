package attestations_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
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
