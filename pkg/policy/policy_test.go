package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

const policiesDir = "../../policies"

func load(t testing.TB, env string) *Policy {
	t.Helper()
	params, err := LoadParams(filepath.Join(policiesDir, "data", env+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), policiesDir, params)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func input(evidence []Evidence) Input {
	return Input{
		Subject:     Subject{Digest: "sha256:4f3c0a", Reference: "registry.acme.com/app:v1.4.0"},
		Environment: "production",
		Now:         now,
		Evidence:    evidence,
	}
}

func failedGates(d Decision) []string {
	var names []string
	for _, g := range d.Gates {
		if !g.Passed {
			names = append(names, g.Name)
		}
	}
	return names
}

func TestEvaluateProduction(t *testing.T) {
	p := load(t, "production")
	all := blessed(t)
	for _, tc := range []struct {
		desc     string
		evidence []Evidence
		failed   []string // nil: blessed
		reason   string   // of the failed gate, when one is given
	}{
		{desc: "full evidence is blessed", evidence: all},
		{
			desc:     "a failing unit test",
			evidence: replacing(all, attestations.TestResultType, testResult(t, "unit", attestations.ResultFailed, 40, 2, "TestB", "TestA"), testResult(t, "integration", attestations.ResultPassed, 12, 0)),
			failed:   []string{"tests/unit"},
			reason:   "unit: 2 of 40 tests failed (TestA, TestB)",
		},
		{
			desc:     "integration ran no tests",
			evidence: replacing(all, attestations.TestResultType, testResult(t, "unit", attestations.ResultPassed, 40, 0), testResult(t, "integration", attestations.ResultWarned, 0, 0)),
			failed:   []string{"tests/integration"},
		},
		{
			desc:     "coverage below the minimum",
			evidence: replacing(all, attestations.CoverageType, coverage(t, 71.5)),
			failed:   []string{"coverage"},
			reason:   "coverage 71.5% is below 80%",
		},
		{
			desc:     "an unwaived critical vulnerability",
			evidence: replacing(all, attestations.VulnsType, scan(t, finding{"CVE-2019-1549", "CRITICAL", "openssl"})),
			failed:   []string{"vulnerabilities"},
			reason:   "CVE-2019-1549 (CRITICAL) in openssl is not waived",
		},
		{
			desc:     "no provenance",
			evidence: replacing(all, attestations.ProvenanceType),
			failed:   []string{"provenance"},
			reason:   "no SLSA provenance",
		},
		{
			desc:     "an untrusted builder",
			evidence: replacing(all, attestations.ProvenanceType, provenance(t, "https://laptop.local", trustedSource)),
			failed:   []string{"provenance"},
		},
		{
			desc:     "one sre approved twice",
			evidence: append(replacing(all, attestations.ApprovalType, all[5:8]...), approval(t, "sre1@acme.com", "sre", attestations.DecisionGo, "again")),
			failed:   []string{"approval/sre"},
			reason:   "sre: 1 of 2 GO approvals from sre1@acme.com",
		},
		{
			desc:     "no qa approval",
			evidence: replacing(all, attestations.ApprovalType, all[5], all[7], all[8]),
			failed:   []string{"approval/qa"},
			reason:   "qa: 0 of 1 GO approvals",
		},
		{
			desc:     "a NOGO among GOs",
			evidence: append(slices.Clone(all), approval(t, "0f1e2d3c4b5a69788796", "sre", attestations.DecisionNoGo, "pager storm")),
			failed:   []string{"nogo"},
			reason:   "NOGO from sre (key 0f1e2d3c4b5a…): 'pager storm'",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := p.Evaluate(context.Background(), input(tc.evidence))
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != (tc.failed == nil) {
				t.Errorf("Allowed = %v, want %v; gates: %+v", d.Allowed, tc.failed == nil, d.Gates)
			}
			if got := failedGates(d); !slices.Equal(got, tc.failed) {
				t.Errorf("failed gates = %q, want %q", got, tc.failed)
			}
			if tc.reason != "" {
				if i := slices.IndexFunc(d.Gates, func(g Gate) bool { return !g.Passed }); i < 0 || d.Gates[i].Reason != tc.reason {
					t.Errorf("gates = %+v, want a failed gate with reason %q", d.Gates, tc.reason)
				}
			}
			if len(d.Gates) != 9 {
				t.Errorf("got %d gates, want 9", len(d.Gates))
			}
		})
	}
}

func TestEvaluateFailsClosedOnNothing(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		params map[string]any
		in     Input
	}{
		{desc: "empty params", params: map[string]any{}, in: input(blessed(t))},
		{desc: "nil params", params: nil, in: input(blessed(t))},
		{desc: "no evidence", params: map[string]any{"required_tests": []any{"unit"}}, in: input(nil)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p, err := Load(context.Background(), policiesDir, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			d, err := p.Evaluate(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				t.Errorf("allowed: %+v", d)
			}
		})
	}
}

func TestEvaluateRefusesInputWithoutTime(t *testing.T) {
	in := input(blessed(t))
	in.Now = time.Time{}
	if _, err := load(t, "production").Evaluate(context.Background(), in); err == nil {
		t.Fatal("no error for an input without time")
	}
}

func TestPredicateTypes(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string
	}{
		{"production", []string{
			attestations.CosignVulnType, attestations.ApprovalType, attestations.CoverageType,
			attestations.TestResultType, attestations.VulnsType, attestations.ProvenanceType,
		}},
		{"staging", []string{
			attestations.CosignVulnType, attestations.ApprovalType, attestations.CoverageType,
			attestations.TestResultType, attestations.VulnsType,
		}},
	} {
		t.Run(tc.env, func(t *testing.T) {
			slices.Sort(tc.want)
			if got := load(t, tc.env).PredicateTypes(); !slices.Equal(got, tc.want) {
				t.Errorf("PredicateTypes() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	production, again := load(t, "production"), load(t, "production")
	if production.Version() != again.Version() {
		t.Errorf("one policy, two versions: %s, %s", production.Version(), again.Version())
	}
	if !strings.HasPrefix(production.Version(), "sha256:") || len(production.Version()) != len("sha256:")+64 {
		t.Errorf("Version() = %q, want sha256:<hex>", production.Version())
	}
	if load(t, "staging").Version() == production.Version() {
		t.Error("other params, same version")
	}
	dir := t.TempDir()
	writeFile(t, dir, "p.rego", "package gate.blessed\n\ndecision := {\"allowed\": false, \"gates\": []}\n\npredicate_types := set()\n")
	a := mustLoad(t, dir)
	writeFile(t, dir, "p.rego", "package gate.blessed\n\ndecision := {\"allowed\": false, \"gates\": []}\n\npredicate_types := {\"x\"}\n")
	if mustLoad(t, dir).Version() == a.Version() {
		t.Error("other policy, same version")
	}
	b := mustLoad(t, dir)
	writeFile(t, dir, "p_test.rego", "package gate.blessed_test\n\ntest_x if true\n")
	if mustLoad(t, dir).Version() != b.Version() {
		t.Error("version changed with a test file")
	}
}

func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t testing.TB, dir string) *Policy {
	t.Helper()
	p, err := Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		desc, src, want string
	}{
		{"syntax", "package gate.blessed\n\ndecision := }\n\nx := 1\n", "bad.rego:3"},
		{"strict: unused variable", "package gate.blessed\n\ndecision := {\"allowed\": false, \"gates\": []} if {\n\tx := 1\n}\n", "bad.rego:4"},
		{"v0 syntax", "package gate.blessed\n\ndecision[x] { x := 1 }\n", "bad.rego:3"},
		{"denied builtin", "package gate.blessed\n\ndecision := http.send({\"method\": \"get\", \"url\": \"https://acme.com\"})\n", "bad.rego:3"},
		{"shadows the params", "package gate.params\n\nx := 1\n", "bad.rego:1"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "bad.rego", tc.src)
			_, err := Load(context.Background(), dir, map[string]any{"min_coverage": 80})
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tc.want)) {
				t.Fatalf("err = %v, want it to name %s", err, tc.want)
			}
		})
	}
}

func TestLoadWithoutPolicy(t *testing.T) {
	if _, err := Load(context.Background(), t.TempDir(), nil); err == nil {
		t.Fatal("no error for a directory without .rego files")
	}
}

func TestEvaluateRefusesWhatItCannotRead(t *testing.T) {
	for _, tc := range []struct {
		desc, decision string
		want           error
	}{
		{"undefined", "decision if input.never", ErrUndefined},
		{"not an object", "decision := true", ErrMalformed},
		{"allowed not a boolean", `decision := {"allowed": "yes", "gates": []}`, ErrMalformed},
		{"allowed without gates", `decision := {"allowed": true, "gates": []}`, ErrMalformed},
		{"allowed with a failed gate", `decision := {"allowed": true, "gates": [{"name": "x", "passed": false, "reason": "no"}]}`, ErrMalformed},
		{"gate without name", `decision := {"allowed": false, "gates": [{"passed": true, "reason": ""}]}`, ErrMalformed},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "p.rego", "package gate.blessed\n\npredicate_types := set()\n\n"+tc.decision+"\n")
			d, err := mustLoad(t, dir).Evaluate(context.Background(), input(blessed(t)))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if d.Allowed {
				t.Error("allowed")
			}
		})
	}
}

func TestLoadRequiresPredicateTypes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "p.rego", "package gate.blessed\n\ndecision := {\"allowed\": false, \"gates\": []}\n")
	if _, err := Load(context.Background(), dir, nil); err == nil {
		t.Fatal("no error for a policy without predicate_types")
	}
}

// TestEvaluateConcurrently is for the race detector: the webhook evaluates
// one Policy from many requests at once.
func TestEvaluateConcurrently(t *testing.T) {
	p, in := load(t, "production"), input(blessed(t))
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			d, err := p.Evaluate(context.Background(), in)
			if err == nil && !d.Allowed {
				err = errors.New("not allowed")
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
