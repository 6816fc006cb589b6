package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/record"
)

// recordedAt is the time of every recorded decision in these tests.
var recordedAt = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// ev is one piece of verified evidence as the policy sees it: decoded JSON.
func ev(t *testing.T, predicateType, role, identity string, predicate any) policy.Evidence {
	t.Helper()
	b, err := json.Marshal(predicate)
	if err != nil {
		t.Fatal(err)
	}
	e := policy.Evidence{PredicateType: predicateType, Signer: policy.Signer{Role: role, Identity: identity}}
	if err := json.Unmarshal(b, &e.Predicate); err != nil {
		t.Fatal(err)
	}
	return e
}

func tests(t *testing.T, stage, result string, total, failed int) policy.Evidence {
	run := attestations.TestRun{Stage: stage, Format: "gotest", Total: total, Passed: total - failed, Failed: failed}
	return ev(t, attestations.TestResultType, "ci", "ci-key", attestations.TestResult{Result: result, Configuration: []attestations.ResourceDescriptor{run.Descriptor()}})
}

func cover(t *testing.T, percent float64) policy.Evidence {
	return ev(t, attestations.CoverageType, "ci", "ci-key", attestations.Coverage{Format: "gocover", Unit: "statements", Percent: percent, Total: 1000, Covered: int(percent * 10)})
}

func scanWith(t *testing.T, id, severity string) policy.Evidence {
	return ev(t, attestations.VulnsType, "ci", "ci-key", attestations.Vulns{
		Scanner:  attestations.Scanner{URI: "pkg:github/aquasecurity/trivy", Result: []attestations.Vuln{{ID: id, Severity: []attestations.Severity{{Method: attestations.SeverityMethod, Score: severity}}, Annotations: []map[string]any{{"package": "openssl"}}}}},
		Metadata: attestations.ScanMetadata{ScanStartedOn: recordedAt.Add(-time.Hour), ScanFinishedOn: recordedAt.Add(-time.Hour)},
	})
}

func built(t *testing.T, builder, source string) policy.Evidence {
	return ev(t, attestations.ProvenanceType, "ci", "ci-key", map[string]any{
		"buildDefinition": map[string]any{"buildType": "https://actions.github.io/buildtypes/workflow/v1", "resolvedDependencies": []any{map[string]any{"uri": source}}},
		"runDetails":      map[string]any{"builder": map[string]any{"id": builder}},
	})
}

func said(t *testing.T, who, role, decision string, ago time.Duration, modify ...func(*attestations.Approval)) policy.Evidence {
	a := attestations.Approval{Decision: decision, Role: role, Reason: "reviewed", ApprovedAt: recordedAt.Add(-ago)}
	for _, m := range modify {
		m(&a)
	}
	return ev(t, attestations.ApprovalType, role, who, a)
}

const (
	builder = "https://github.com/actions/runner/github-hosted"
	source  = "git+https://github.com/acme/app"
)

// without returns evidence less the items of predicateType, plus add.
func without(evidence []policy.Evidence, predicateType string, add ...policy.Evidence) []policy.Evidence {
	var out []policy.Evidence
	for _, e := range evidence {
		if e.PredicateType != predicateType {
			out = append(out, e)
		}
	}
	return append(out, add...)
}

// TestPolicyDiffReportsExactlyTheFlips records 26 decisions that cover every
// gate, commits the shipped policy in a git repository, changes it in the
// working tree (in data: coverage 80→85, sre approvers 2→1, deny_severity
// HIGH→CRITICAL; in Rego: a WARNED test run passes, a source pinned with @ref
// no longer matches), and checks that gate policy diff names exactly the
// decisions that flip.
func TestPolicyDiffReportsExactlyTheFlips(t *testing.T) {
	repo := policyRepo(t)
	policies := filepath.Join(repo, "policies")
	editFile(t, filepath.Join(policies, "data", "production.json"), `"min_coverage": 80`, `"min_coverage": 85`)
	editFile(t, filepath.Join(policies, "data", "production.json"), `"sre": 2`, `"sre": 1`)
	editFile(t, filepath.Join(policies, "data", "production.json"), `"deny_severity": "HIGH"`, `"deny_severity": "CRITICAL"`)
	editFile(t, filepath.Join(policies, "tests.rego"), "_run_passed(run) if {\n\trun.result == \"PASSED\"\n\trun.total > 0\n}", "_run_passed(run) if run.result in {\"PASSED\", \"WARNED\"}")
	editFile(t, filepath.Join(policies, "provenance.rego"), "_from_source(uri, source) if startswith(uri, concat(\"\", [source, \"@\"]))\n", "")

	ok := []policy.Evidence{
		tests(t, "unit", "PASSED", 40, 0), tests(t, "integration", "PASSED", 12, 0), cover(t, 90),
		scanWith(t, "CVE-2024-0001", "MEDIUM"), built(t, builder, source),
		said(t, "lead", "module-lead", "GO", time.Hour), said(t, "qa1", "qa", "GO", time.Hour),
		said(t, "sre1", "sre", "GO", time.Hour), said(t, "sre2", "sre", "GO", time.Hour),
	}
	oneSRE := without(ok, attestations.ApprovalType, ok[5], ok[6], ok[7])
	staging := []policy.Evidence{tests(t, "unit", "PASSED", 40, 0), cover(t, 65), scanWith(t, "CVE-2024-0001", "HIGH"), ok[5]}
	cases := []struct {
		name, env   string
		evidence    []policy.Evidence
		baseAllowed bool
		flips       bool
	}{
		{"blessed", "production", ok, true, false},
		{"coverage-82", "production", without(ok, attestations.CoverageType, cover(t, 82)), true, true},
		{"coverage-84.9", "production", without(ok, attestations.CoverageType, cover(t, 84.9)), true, true},
		{"coverage-70", "production", without(ok, attestations.CoverageType, cover(t, 70)), false, false},
		{"no-coverage", "production", without(ok, attestations.CoverageType), false, false},
		{"one-sre", "production", oneSRE, false, true},
		{"no-sre", "production", without(ok, attestations.ApprovalType, ok[5], ok[6]), false, false},
		{"high-unwaived", "production", without(ok, attestations.VulnsType, scanWith(t, "CVE-2024-0002", "HIGH")), false, true},
		{"critical-unwaived", "production", without(ok, attestations.VulnsType, scanWith(t, "CVE-2024-0003", "CRITICAL")), false, false},
		{"high-waived", "production", append(without(ok, attestations.VulnsType, scanWith(t, "CVE-2024-0002", "HIGH")),
			said(t, "qa1", "qa", "GO", 30*time.Minute, func(a *attestations.Approval) { a.Waivers = []string{"CVE-2024-0002"} })), true, false},
		{"no-scan", "production", without(ok, attestations.VulnsType), false, false},
		{"untrusted-builder", "production", without(ok, attestations.ProvenanceType, built(t, "https://ci.example/laptop", source)), false, false},
		{"pinned-source", "production", without(ok, attestations.ProvenanceType, built(t, builder, source+"@refs/heads/main")), true, true},
		{"fork-source", "production", without(ok, attestations.ProvenanceType, built(t, builder, source+"-fork")), false, false},
		{"unit-failed", "production", append(without(ok, attestations.TestResultType, ok[1]), tests(t, "unit", "FAILED", 40, 2)), false, false},
		{"no-integration", "production", without(ok, attestations.TestResultType, ok[0]), false, false},
		{"unit-warned-empty", "production", append(without(ok, attestations.TestResultType, ok[1]), tests(t, "unit", "WARNED", 0, 0)), false, true},
		{"sre-nogo", "production", append(slices.Clone(ok), said(t, "sre3", "sre", "NOGO", 10*time.Minute)), false, false},
		{"qa-nogo-lifted", "production", append(slices.Clone(ok), said(t, "qa1", "qa", "NOGO", 2*time.Hour)), true, false},
		{"no-qa", "production", without(ok, attestations.ApprovalType, ok[5], ok[7], ok[8]), false, false},
		{"lead-expired", "production", append(without(ok, attestations.ApprovalType, ok[6], ok[7], ok[8]),
			said(t, "lead", "module-lead", "GO", time.Hour, func(a *attestations.Approval) { a.ExpiresAt = recordedAt.Add(-time.Minute) })), false, false},
		{"coverage-82-one-sre", "production", without(oneSRE, attestations.CoverageType, cover(t, 82)), false, false},
		{"one-sre-high", "production", without(oneSRE, attestations.VulnsType, scanWith(t, "CVE-2024-0002", "HIGH")), false, true},
		{"nothing", "production", nil, false, false},
		{"staging-blessed", "staging", staging, true, false},
		{"staging-unit-failed", "staging", without(staging, attestations.TestResultType, tests(t, "unit", "FAILED", 40, 1)), false, false},
	}

	// Record each decision as gate verify --record does, made by the base policy.
	recordsPath := filepath.Join(t.TempDir(), "records.jsonl")
	w, err := record.Open(recordsPath)
	if err != nil {
		t.Fatal(err)
	}
	var wantFlipped []string
	for _, c := range cases {
		digest := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(c.name)))
		in := policy.Input{Subject: policy.Subject{Digest: digest, Reference: "reg.example/" + c.name + ":1.0"}, Environment: c.env, Now: recordedAt, Evidence: c.evidence}
		p := loadShipped(t, c.env)
		d, err := p.Evaluate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != c.baseAllowed {
			t.Fatalf("%s: the shipped policy decides allowed=%v, the test says %v: %+v", c.name, d.Allowed, c.baseAllowed, d.Gates)
		}
		if err := w.Append(record.Record{Time: recordedAt, Image: in.Subject.Reference, Digest: digest, Environment: c.env,
			PolicyVersion: p.Version(), Origin: "verify", Input: &in, Allowed: d.Allowed, Gates: d.Gates}); err != nil {
			t.Fatal(err)
		}
		if c.flips {
			wantFlipped = append(wantFlipped, in.Subject.Reference)
		}
	}
	w.Close()

	args := []string{"policy", "diff", "--base", "main", "--records", recordsPath, "--policy", policies}
	code, out := run(t, append(args, "--output", "json")...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var d policy.Diff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	var flipped []string
	for _, c := range d.Flipped {
		flipped = append(flipped, c.Image)
	}
	if !slices.Equal(flipped, wantFlipped) {
		t.Errorf("flipped:\n  %q\nwant exactly:\n  %q", flipped, wantFlipped)
	}
	if d.Decisions != len(cases) {
		t.Errorf("%d decisions, want %d", d.Decisions, len(cases))
	}
	for _, c := range d.Changed {
		if slices.Contains(wantFlipped, c.Image) || c.Environment != "production" {
			t.Errorf("%s (%s) among the changed without a flip", c.Image, c.Environment)
		}
	}

	code, md := run(t, args...)
	if code != 0 {
		t.Fatalf("markdown: exit %d:\n%s", code, md)
	}
	flips, folded, found := strings.Cut(md, "<details>")
	if !found || !strings.Contains(md, "**7 of 26 decisions flip**: 3 blessed → not blessed, 4 not blessed → blessed") {
		t.Errorf("markdown summary:\n%s", md)
	}
	for _, c := range cases {
		image := "`reg.example/" + c.name + ":1.0`"
		if strings.Contains(flips, image) != c.flips {
			t.Errorf("%s: in the flips section = %v, want %v", c.name, !c.flips, c.flips)
		}
		if c.flips && strings.Contains(folded, image) {
			t.Errorf("%s flips but is in the folded section", c.name)
		}
	}
	if !strings.Contains(flips, "| **coverage** | ✅ coverage 82% meets 80% | ❌ coverage 82% is below 85% |") {
		t.Errorf("markdown lacks both sides' reasons for coverage-82:\n%s", flips)
	}

	if code, out := run(t, append(args, "--fail-on-flip")...); code != exitNotBlessed {
		t.Errorf("--fail-on-flip with flips: exit %d, want %d:\n%s", code, exitNotBlessed, out)
	}
	gitCmd(t, repo, "stash", "-q")
	if code, out := run(t, append(args, "--fail-on-flip")...); code != 0 || !strings.Contains(out, "**No decision changes** among 26 decisions") {
		t.Errorf("--fail-on-flip with nothing changed: exit %d, want 0:\n%s", code, out)
	}
}

func TestPolicyDiffErrors(t *testing.T) {
	repo := policyRepo(t)
	policies := filepath.Join(repo, "policies")
	os.WriteFile(filepath.Join(policies, "broken.rego"), []byte("package gate.blessed\n\n_x if {\n\ty := 1\n}\n"), 0o600)
	records := filepath.Join(t.TempDir(), "r.jsonl")
	in := policy.Input{Subject: policy.Subject{Digest: "sha256:1"}, Environment: "production", Now: recordedAt}
	if err := record.Append(records, record.Record{Digest: "sha256:1", Environment: "production", Input: &in}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("{}\n"), 0o600)
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"head does not compile", []string{"--records", records, "--policy", policies}, "working tree: environment production: compiling policy: 1 error occurred: " + filepath.Join(policies, "broken.rego") + ":4: rego_compile_error: assigned var y unused"},
		{"no such revision", []string{"--records", records, "--policy", policies, "--base", "nope"}, "git revision nope: not a commit"},
		{"a bad record", []string{"--records", bad, "--policy", policies}, "bad.jsonl:1: invalid decision record"},
		{"no params for an environment", []string{"--records", records, "--policy", policies, "--data", filepath.Join(policies, "missing.json")}, "missing.json does not exist at git revision main"},
		{"no inputs", []string{"--policy", policies}, "give the inputs as either --records FILE or IMAGE"},
		{"images without a config", []string{"--policy", policies, "reg.example/app:1"}, "verifying images needs the trust config"},
		{"config and policy", []string{"--records", records, "--config", "gate.yaml", "--policy", policies}, "give either --config or --policy"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			args := append([]string{"policy", "diff", "--base", "main"}, tc.args...)
			code, out := run(t, args...)
			if code != exitUndecided || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q in:\n%s", code, exitUndecided, tc.want, out)
			}
		})
	}
}

// policyRepo makes a git repository with the shipped policy committed
// under policies/ on branch main.
func policyRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	gitCmd(t, repo, "init", "-q", "-b", "main")
	for _, pattern := range []string{"*.rego", "data/*.json"} {
		paths, _ := filepath.Glob(filepath.Join("../../policies", pattern))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(repo, "policies", strings.TrimPrefix(p, "../../policies/"))
			os.MkdirAll(filepath.Dir(dst), 0o755)
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	gitCmd(t, repo, "add", "-A")
	gitCmd(t, repo, "commit", "-q", "-m", "the shipped policy")
	return repo
}

func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=gate", "-c", "user.email=gate@example.com"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q (%v)", path, old, err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadShipped(t *testing.T, env string) *policy.Policy {
	t.Helper()
	params, err := policy.LoadParams(filepath.Join("../../policies/data", env+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(context.Background(), "../../policies", params)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPolicyDiffOfLiveImages verifies an image now and decides on its
// evidence under both revisions. The base reads coverage, which the working
// tree no longer does: it is gathered all the same, so the base blesses,
// and the working tree's new sre approval flips the decision.
func TestPolicyDiffOfLiveImages(t *testing.T) {
	c := newCLI(t)
	repo := policyRepo(t)
	data := filepath.Join(repo, "policies", "data", "ci.json")
	os.WriteFile(data, []byte(`{"required_tests": ["unit"], "min_coverage": 10}`), 0o644)
	gitCmd(t, repo, "add", "-A")
	gitCmd(t, repo, "commit", "-q", "-m", "ci params")
	os.WriteFile(data, []byte(`{"required_tests": ["unit"], "approvals": {"sre": 1}, "max_approval_age": "24h"}`), 0o644)
	cfg := c.write("diff.yaml", `roles:
  ci: {keys: [ci.pub], maySign: [tests, vulns, coverage, provenance]}
  sre: {keys: [sre.pub], maySign: [approval]}
environments:
  ci: {policy: `+filepath.Join(repo, "policies")+`, data: `+data+`}
defaultEnvironment: ci
`)
	for _, step := range [][]string{
		{"attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/unit-pass.jsonl", "--stage", "unit"},
		{"attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/go-chi.cover"},
	} {
		if code, out := run(t, step...); code != 0 {
			t.Fatalf("%s: exit %d:\n%s", step[0], code, out)
		}
	}
	code, out := run(t, "policy", "diff", "--base", "main", "--config", cfg, c.image, "--output", "json", "--fail-on-flip")
	if code != exitNotBlessed {
		t.Fatalf("exit %d, want %d:\n%s", code, exitNotBlessed, out)
	}
	var d policy.Diff
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &d); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(d.Flipped) != 1 || !d.Flipped[0].Base.Allowed || d.Flipped[0].Head.Allowed || d.Flipped[0].Source != c.image {
		t.Fatalf("flipped = %+v, want %s blessed → not blessed", d.Flipped, c.image)
	}
	var names []string
	for _, g := range d.Flipped[0].Gates {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, []string{"coverage", "approval/sre", "nogo"}) {
		t.Errorf("changed gates %q, want coverage (base only), approval/sre and nogo (working tree only)", names)
	}
}
