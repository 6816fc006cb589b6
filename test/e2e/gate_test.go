package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shipped policy (policies/, package gate.blessed), with params for these tests: every gate on.
const e2eData = `{
  "required_tests": ["unit"],
  "min_coverage": 75,
  "deny_severity": "HIGH",
  "provenance": {"builders": ["https://ci.example/builder"], "sources": ["git+https://git.example/app"]},
  "approvals": {"module-lead": 1, "qa": 1, "sre": 1},
  "max_approval_age": "168h"
}`

// Real reports from real tools, shared with pkg/gate's tests (see their SOURCES.md).
var (
	unitReport     = filepath.Join(repoRoot, "pkg/gate/testdata/unit-pass.jsonl")
	coverageReport = filepath.Join(repoRoot, "pkg/gate/testdata/go-chi.cover")
	trivyReport    = filepath.Join(repoRoot, "pkg/gate/testdata/sl-micro-rancher5.4-no-vulns.json")
)

// maySign is what each role of the tests' trust config may sign.
var maySign = map[string]string{
	"ci":          "[tests, vulns, cosignvuln, coverage, provenance]",
	"module-lead": "[approval]",
	"qa":          "[approval]",
	"sre":         "[approval]",
}

// gateKey makes a key pair with `gate generate-key-pair` and returns the two files.
func (w *world) gateKey(name string) (key, pub string) {
	w.t.Helper()
	prefix := w.path("keys/" + name)
	w.write("keys/.keep", nil)
	w.must(gateBin(w.t), "generate-key-pair", "--output-key-prefix", prefix)
	return prefix + ".key", prefix + ".pub"
}

// trustConfig writes a gate.yaml over the shipped policy in which each role holds the given
// public key files, and returns its path.
func (w *world) trustConfig(roles map[string][]string) string {
	w.t.Helper()
	var b strings.Builder
	b.WriteString("roles:\n")
	names := make([]string, 0, len(roles))
	for r := range roles {
		names = append(names, r)
	}
	slices.Sort(names)
	for _, r := range names {
		fmt.Fprintf(&b, "  %s:\n    keys: [%s]\n    maySign: %s\n", r, strings.Join(roles[r], ", "), maySign[r])
	}
	fmt.Fprintf(&b, "environments:\n  e2e: {policy: %s, data: data.json}\ndefaultEnvironment: e2e\n", filepath.Join(repoRoot, "policies"))
	w.write("data.json", []byte(e2eData))
	return w.write("gate.yaml", []byte(b.String()))
}

// decision is `gate verify --output json`, as much of it as the tests read.
type decision struct {
	Digest  string `json:"digest"`
	Allowed bool   `json:"allowed"`
	Gates   []struct {
		Name   string `json:"name"`
		Passed bool   `json:"passed"`
		Reason string `json:"reason"`
	} `json:"gates"`
	Evidence []struct {
		Source        string `json:"source"`
		Location      string `json:"location"`
		PredicateType string `json:"predicateType"`
		Signer        struct {
			Role string `json:"role"`
			Name string `json:"name"`
		} `json:"signer"`
	} `json:"evidence"`
	Rejected []struct {
		Source        string `json:"source"`
		Location      string `json:"location"`
		PredicateType string `json:"predicateType"`
		Reason        string `json:"reason"`
	} `json:"rejected"`
}

// verify runs `gate verify --output json` and reads its decision; exit 2 fails the test.
func (w *world) verify(cfg, image string, args ...string) (decision, result) {
	w.t.Helper()
	r := w.run(gateBin(w.t), append([]string{"verify", image, "--config", cfg, "--output", "json"}, args...)...)
	var d decision
	if r.code != 0 && r.code != 1 {
		w.t.Fatalf("gate verify could not decide:\n%s", r)
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		w.t.Fatalf("reading the decision: %v\n%s", err, r)
	}
	return d, r
}

// attestAll has gate attest everything e2eData requires, as the pipeline and the three
// stakeholders would: 4 attestations from ci, 3 approvals. keys maps a role to its private key.
func (w *world) attestAll(image string, keys map[string]string) {
	w.t.Helper()
	gate := gateBin(w.t)
	w.must(gate, "attest", image, "--key", keys["ci"], "--report", unitReport, "--stage", "unit")
	w.must(gate, "attest", image, "--key", keys["ci"], "--report", coverageReport)
	w.must(gate, "attest", image, "--key", keys["ci"], "--report", trivyReport)
	w.must(gate, "attest", image, "--key", keys["ci"], "--provenance",
		"--builder-id", "https://ci.example/builder", "--build-type", "https://ci.example/type",
		"--source", "git+https://git.example/app", "--commit", "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e")
	for _, role := range []string{"module-lead", "qa", "sre"} {
		w.must(gate, "approve", image, "--key", keys[role], "--role", role, "--decision", "go", "--reason", "e2e", "--expires", "24h")
	}
}

// referrer reads the referrer digest `gate attest` or `gate approve` printed.
func referrer(t *testing.T, r result) string {
	t.Helper()
	_, after, ok := strings.Cut(r.stdout, "stored as referrer ")
	if !ok {
		t.Fatalf("no referrer in the output:\n%s", r)
	}
	return strings.TrimSpace(after)
}
