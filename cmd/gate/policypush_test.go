package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/policy"
)

// withPolicyOwner writes policy-owner's key pair into c and a trust config
// whose production environment's policy is policyRef, and returns its path.
func (c *cli) withPolicyOwner(t *testing.T, policyRef string) string {
	t.Helper()
	if _, err := os.Stat(c.path("policy-owner.key")); err != nil {
		if code, out := run(t, "generate-key-pair", "--output-key-prefix", c.path("policy-owner")); code != 0 {
			t.Fatalf("generate-key-pair: %d %s", code, out)
		}
	}
	return c.write("bundle.yaml", `roles:
  ci: {keys: [ci.pub], maySign: [tests, vulns, coverage, provenance]}
  module-lead: {keys: [module-lead.pub], maySign: [approval]}
  qa: {keys: [qa.pub], maySign: [approval]}
  policy-owner: {keys: [policy-owner.pub], maySign: [policy]}
environments:
  production: {policy: "`+policyRef+`"}
defaultEnvironment: production
`)
}

// The example of gate policy push --help runs as printed, from a directory
// holding policies/ and the key it names, with $REGISTRY a real registry.
func TestPolicyPushHelpExampleRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gate")
	}
	bin := gateBinary(t)
	c := newCLI(t)
	c.withPolicyOwner(t, "")
	if err := os.CopyFS(c.path("policies"), os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGISTRY", c.host)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	script := newPolicyPush().Example
	out, err := runScript(t, c.dir, script, 2*time.Minute)
	if err != nil {
		t.Fatalf("gate policy push --help's example fails: %v\n%s\n%s", err, script, out)
	}
	if !strings.Contains(out, "pushed policy bundle oci://"+c.host+"/gate/policy@sha256:") {
		t.Fatalf("want the pushed bundle's digest reference:\n%s", out)
	}
}

// Two pushed bundles are diffed as two git revisions are, each verified
// first; gate verify with a bundle names it in its output.
func TestPolicyDiffOfTwoBundles(t *testing.T) {
	c := newCLI(t)
	cfg := c.withPolicyOwner(t, "oci://"+c.host+"/gate/policy:v2")
	c.write("v1.json", `{"required_tests": ["unit"], "approvals": {"module-lead": 1, "qa": 1}, "max_approval_age": "24h"}`)
	c.write("v2.json", `{"required_tests": ["unit"], "approvals": {"module-lead": 1}, "max_approval_age": "24h"}`)
	for _, step := range [][]string{
		{"policy", "push", "oci://" + c.host + "/gate/policy:v1", "--key", c.path("policy-owner.key"), "--policy", "../../policies", "--data", c.path("v1.json")},
		{"policy", "push", "oci://" + c.host + "/gate/policy:v2", "--key", c.path("policy-owner.key"), "--policy", "../../policies", "--data", c.path("v2.json")},
		{"attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/unit-pass.jsonl", "--stage", "unit"},
		{"approve", c.image, "--key", c.path("module-lead.key"), "--role", "module-lead", "--decision", "go", "--reason", "ok", "--expires", "1d"},
	} {
		if code, out := run(t, step...); code != 0 {
			t.Fatalf("%s: exit %d:\n%s", strings.Join(step[:2], " "), code, out)
		}
	}
	code, out := run(t, "policy", "diff", "--base", "oci://"+c.host+"/gate/policy:v1", "--head", "oci://"+c.host+"/gate/policy:v2",
		"--config", cfg, c.image, "--output", "json", "--fail-on-flip")
	if code != exitNotBlessed {
		t.Fatalf("exit %d, want %d (a flip):\n%s", code, exitNotBlessed, out)
	}
	var d policy.Diff
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &d); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(d.Flipped) != 1 || d.Flipped[0].Base.Allowed || !d.Flipped[0].Head.Allowed {
		t.Fatalf("flipped = %+v, want %s not blessed under v1, blessed under v2", d.Flipped, c.image)
	}

	code, out = run(t, "verify", c.image, "--config", cfg)
	if code != 0 || !strings.Contains(out, "policy       oci://"+c.host+"/gate/policy@sha256:") {
		t.Fatalf("gate verify with bundle v2: exit %d, want 0 naming the bundle's digest:\n%s", code, out)
	}

	// A bundle is diffed only once verified: without the trust config, it is refused.
	code, out = run(t, "policy", "diff", "--base", "oci://"+c.host+"/gate/policy:v1", "--head", "oci://"+c.host+"/gate/policy:v2", "--records", c.write("none.jsonl", ""))
	if code != exitUndecided || !strings.Contains(out, "--config") {
		t.Fatalf("exit %d, want %d asking for --config:\n%s", code, exitUndecided, out)
	}
}
