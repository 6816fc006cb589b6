package attestations

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		desc, predicateType, body string
		field                     string // "" means valid
	}{
		{"test results", TestResultType, `{"result":"PASSED","passedTests":["a"],"failedTests":null,"configuration":[{"name":"gate:test-run","annotations":{"stage":"unit"}}]}`, ""},
		{"test results: result 42", TestResultType, `{"result":42}`, "result"},
		{"test results: MAYBE", TestResultType, `{"result":"MAYBE"}`, "result"},
		{"test results: an unknown field", TestResultType, `{"result":"PASSED","hello":"world"}`, "hello"},
		{"test results: failed_tests, the proto name the policy never reads", TestResultType, `{"result":"PASSED","failed_tests":["TestPay"]}`, "failed_tests"},
		{"vulns: scan_started_on, a proto name one level down", VulnsType, `{"scanner":{"uri":"x"},"metadata":{"scan_started_on":"2026-11-01T00:00:00Z"}}`, "metadata.scan_started_on"},
		{"vulns", VulnsType, `{"scanner":{"uri":"pkg:github/aquasecurity/trivy","result":[{"id":"CVE-1","severity":[{"method":"gate","score":"HIGH"}]}]},"metadata":{"scanStartedOn":"2026-11-01T00:00:00Z"}}`, ""},
		{"vulns: no scanner", VulnsType, `{"metadata":{}}`, "scanner.uri"},
		{"vulns: a finding without id", VulnsType, `{"scanner":{"uri":"x","result":[{"severity":[]}]}}`, "scanner.result[0].id"},
		{"coverage", CoverageType, `{"format":"gocover","unit":"statements","covered":1,"total":2,"percent":50,"files":1}`, ""},
		{"coverage: percent 200", CoverageType, `{"format":"gocover","unit":"statements","covered":1,"total":2,"percent":200}`, "percent"},
		{"coverage: covered as a string", CoverageType, `{"format":"gocover","unit":"statements","covered":"1","total":2}`, "covered"},
		{"approval", ApprovalType, `{"decision":"GO","role":"qa","reason":"ok","approvedAt":"2026-11-01T00:00:00Z"}`, ""},
		{"approval: DECISION in capitals", ApprovalType, `{"DECISION":"GO","role":"qa","approvedAt":"2026-11-01T00:00:00Z"}`, "DECISION"},
		{"approval: no role", ApprovalType, `{"decision":"NOGO","approvedAt":"2026-11-01T00:00:00Z"}`, "role"},
		{"approval with a checklist", ApprovalType, `{"decision":"GO","role":"sre","approvedAt":"2026-11-01T00:00:00Z","checklist":[{"item":"dr-plan","link":"https://wiki.example/dr"}]}`, ""},
		{"approval: a checklist item named in capitals", ApprovalType, `{"decision":"GO","role":"sre","approvedAt":"2026-11-01T00:00:00Z","checklist":[{"item":"DR-Plan","link":"https://wiki.example/dr"}]}`, "checklist[0]"},
		{"approval: a checklist link over http", ApprovalType, `{"decision":"GO","role":"sre","approvedAt":"2026-11-01T00:00:00Z","checklist":[{"item":"dr-plan","link":"http://wiki.example/dr"}]}`, "checklist[0]"},
		{"approval: a checklist link without a host", ApprovalType, `{"decision":"GO","role":"sre","approvedAt":"2026-11-01T00:00:00Z","checklist":[{"item":"dr-plan","link":"https:///dr"}]}`, "checklist[0]"},
		{"approval: a checklist key in capitals", ApprovalType, `{"decision":"GO","role":"sre","approvedAt":"2026-11-01T00:00:00Z","checklist":[{"ITEM":"dr-plan","link":"https://wiki.example/dr"}]}`, "checklist[0]: field ITEM"},
		{"approval: no time", ApprovalType, `{"decision":"GO","role":"qa"}`, "approvedAt"},
		{"a type gate does not know", "https://example.com/x", `{"anything":1}`, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			err := Validate(tc.predicateType, []byte(tc.body))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidPredicate) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v; want invalid, naming %s", err, tc.field)
			}
		})
	}
}
