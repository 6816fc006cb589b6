package policy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// now is the time of every decision in these tests.
var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// predicate is v as gate's Go code hands it to the policy: decoded JSON.
func predicate(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var ci = Signer{Role: "ci", Identity: "0f9e4b8c1d2a3b4c5d6e"}

func testResult(t testing.TB, stage, result string, total, failed int, failedTests ...string) Evidence {
	run := attestations.TestRun{Stage: stage, Format: "gotest", Total: total, Passed: total - failed, Failed: failed}
	return Evidence{PredicateType: attestations.TestResultType, Signer: ci, Predicate: predicate(t, attestations.TestResult{
		Result:        result,
		Configuration: []attestations.ResourceDescriptor{run.Descriptor()},
		FailedTests:   failedTests,
	})}
}

func coverage(t testing.TB, percent float64) Evidence {
	return Evidence{PredicateType: attestations.CoverageType, Signer: ci, Predicate: predicate(t, attestations.Coverage{
		Format: "gocover", Unit: "statements", Covered: int(percent * 10), Total: 1000, Percent: percent, Files: 12,
	})}
}

type finding struct{ id, severity, pkg string }

func scan(t testing.TB, findings ...finding) Evidence {
	var result []attestations.Vuln
	for _, f := range findings {
		result = append(result, attestations.Vuln{
			ID:          f.id,
			Severity:    []attestations.Severity{{Method: attestations.SeverityMethod, Score: f.severity}},
			Annotations: []map[string]any{{"package": f.pkg}},
		})
	}
	return Evidence{PredicateType: attestations.VulnsType, Signer: ci, Predicate: predicate(t, attestations.Vulns{
		Scanner:  attestations.Scanner{URI: "pkg:github/aquasecurity/trivy", Version: "0.58.0", Result: result},
		Metadata: attestations.ScanMetadata{ScanStartedOn: now.Add(-time.Hour), ScanFinishedOn: now.Add(-time.Hour)},
	})}
}

func provenance(t testing.TB, builder, source string) Evidence {
	return Evidence{PredicateType: attestations.ProvenanceType, Signer: ci, Predicate: predicate(t, map[string]any{
		"buildDefinition": map[string]any{
			"buildType":            "https://actions.github.io/buildtypes/workflow/v1",
			"resolvedDependencies": []any{map[string]any{"uri": source, "digest": map[string]any{"gitCommit": "7e4d3c2b"}}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builder}},
	})}
}

func approval(t testing.TB, identity, role, decision, reason string) Evidence {
	return Evidence{
		PredicateType: attestations.ApprovalType,
		Signer:        Signer{Role: role, Identity: identity},
		Predicate: predicate(t, attestations.Approval{
			Decision: decision, Role: role, Reason: reason, ApprovedAt: now.Add(-time.Hour), Reviewed: "v1.4.0",
		}),
	}
}

const (
	trustedBuilder = "https://github.com/actions/runner/github-hosted"
	trustedSource  = "git+https://github.com/acme/app@refs/heads/main"
)

// blessed is evidence production blesses, one item of each kind per gate.
func blessed(t testing.TB) []Evidence {
	return []Evidence{
		testResult(t, "unit", attestations.ResultPassed, 40, 0),
		testResult(t, "integration", attestations.ResultPassed, 12, 0),
		coverage(t, 85.2),
		scan(t, finding{"CVE-2024-0001", "MEDIUM", "zlib"}),
		provenance(t, trustedBuilder, trustedSource),
		approval(t, "lead@acme.com", "module-lead", attestations.DecisionGo, "reviewed"),
		approval(t, "qa@acme.com", "qa", attestations.DecisionGo, "regression suite green"),
		approval(t, "sre1@acme.com", "sre", attestations.DecisionGo, "capacity ok"),
		approval(t, "sre2@acme.com", "sre", attestations.DecisionGo, "runbook updated"),
	}
}

// replacing returns evidence with every item of predicateType swapped for items.
func replacing(evidence []Evidence, predicateType string, items ...Evidence) []Evidence {
	var out []Evidence
	for _, e := range evidence {
		if e.PredicateType != predicateType {
			out = append(out, e)
		}
	}
	return append(out, items...)
}
