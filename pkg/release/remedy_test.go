package release

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/policy"
)

func TestRemedyNamesTheCommandThatClosesTheGate(t *testing.T) {
	const ref = "r.example/shop@sha256:abc"
	t0 := time.Date(2026, 11, 29, 14, 0, 0, 0, time.UTC)
	votes := []Vote{
		{Role: "sre", Signer: "sre.pub", Decision: "NOGO", At: t0},
		{Role: "qa", Signer: "qa.pub", Decision: "NOGO", At: t0},
		{Role: "qa", Signer: "qa.pub", Decision: "GO", At: t0.Add(time.Hour)}, // lifts qa's NOGO
	}
	for _, tc := range []struct {
		gate, want string
	}{
		{"approval/qa", "gate approve " + ref + " --key qa.key --role qa --decision go --reason …"},
		{"nogo", "gate approve " + ref + " --key sre.key --role sre --decision go --reason …"},
		{"tests/integration", "gate attest " + ref + " --key ci.key --report REPORT --stage integration"},
		{"coverage", "gate attest " + ref + " --key ci.key --report cover.out"},
		{"vulnerabilities", "gate attest " + ref + " --key ci.key --report trivy.json"},
		{"provenance", "gate attest " + ref + " --key ci.key --provenance"},
		{"sbom", ""}, // another policy's gate: its reason says what to do
	} {
		t.Run(tc.gate, func(t *testing.T) {
			got := Remedy(ref, policy.Gate{Name: tc.gate}, votes)
			if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
				t.Errorf("Remedy(%s) = %q, want %q", tc.gate, got, tc.want)
			}
			if tc.gate == "nogo" && strings.Contains(got, "--role qa") {
				t.Errorf("qa's NOGO was lifted by qa's later GO, yet qa is asked again: %q", got)
			}
		})
	}
}
