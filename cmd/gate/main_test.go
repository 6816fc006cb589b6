package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// run runs gate with args as a user would, returning its exit code and output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		out.WriteString("gate: " + err.Error())
	}
	return exitCode(err), out.String()
}

type cli struct {
	dir, host, image string
}

// newCLI starts a registry, pushes an image, and writes keys for ci, module-lead,
// qa and sre (made by `gate generate-key-pair`) and a trust config.
func newCLI(t *testing.T) *cli {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	c := &cli{dir: t.TempDir(), host: strings.TrimPrefix(srv.URL, "http://")}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	c.image = c.host + "/team/app:1.0"
	ref, err := name.ParseReference(c.image)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COSIGN_PASSWORD", "pw")
	for _, role := range []string{"ci", "module-lead", "qa", "sre"} {
		if code, out := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(c.dir, role)); code != 0 {
			t.Fatalf("generate-key-pair: %d %s", code, out)
		}
	}
	policies, _ := filepath.Abs("../../policies")
	c.write("gate.yaml", `roles:
  ci: {keys: [ci.pub], maySign: [tests, vulns, coverage, provenance]}
  module-lead: {keys: [module-lead.pub], maySign: [approval]}
  qa: {keys: [qa.pub], maySign: [approval]}
  sre: {keys: [sre.pub], maySign: [approval]}
environments:
  production: {policy: `+policies+`, data: data.json}
defaultEnvironment: production
`)
	c.write("data.json", `{"required_tests": ["unit"], "min_coverage": 50, "deny_severity": "CRITICAL",
  "approvals": {"module-lead": 1, "qa": 1, "sre": 1}, "max_approval_age": "24h"}`)
	return c
}

func (c *cli) write(name, content string) string {
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		panic(err)
	}
	return p
}

func (c *cli) path(name string) string { return filepath.Join(c.dir, name) }

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	verify := func() (int, string) { return run(t, "verify", c.image, "--config", c.path("gate.yaml")) }
	steps := []struct {
		desc     string
		args     []string
		wantCode int
	}{
		{"unit tests", []string{"attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/unit-pass.jsonl", "--stage", "unit"}, 0},
		{"coverage", []string{"attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/go-chi.cover"}, 0},
		{"scan", []string{"attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/sl-micro-rancher5.4-no-vulns.json"}, 0},
		{"module-lead GO", []string{"approve", c.image, "--key", c.path("module-lead.key"), "--role", "module-lead", "--decision", "go", "--reason", "ok"}, 0},
		{"qa GO", []string{"approve", c.image, "--key", c.path("qa.key"), "--role", "qa", "--decision", "GO", "--reason", "ok", "--expires", "48h"}, 0},
	}
	for _, s := range steps {
		if code, out := run(t, s.args...); code != s.wantCode {
			t.Fatalf("%s: exit %d, want %d: %s", s.desc, code, s.wantCode, out)
		}
	}
	if code, out := verify(); code != exitNotBlessed || !strings.Contains(out, "approval/sre") {
		t.Fatalf("without sre's GO: exit %d, want %d naming approval/sre:\n%s", code, exitNotBlessed, out)
	}
	if code, out := run(t, "approve", c.image, "--key", c.path("sre.key"), "--role", "sre", "--decision", "go", "--reason", "ok"); code != 0 {
		t.Fatal(out)
	}
	if code, out := verify(); code != exitBlessed || !strings.HasPrefix(out, "BLESSED") {
		t.Fatalf("with every gate passed: exit %d, want 0:\n%s", code, out)
	}
	if code, out := run(t, "verify", c.image, "--config", c.path("gate.yaml"), "--output", "json"); code != 0 || !strings.Contains(out, `"allowed": true`) {
		t.Fatalf("--output json: exit %d:\n%s", code, out)
	}
}

func TestCouldNotDecideIsExit2(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"registry unreachable", []string{"verify", "127.0.0.1:1/team/app:1.0", "--config", c.path("gate.yaml")}, "127.0.0.1:1"},
		{"no such config", []string{"verify", c.image, "--config", c.path("missing.yaml")}, "missing.yaml"},
		{"config with an unknown field", []string{"verify", c.image, "--config", c.write("bad.yaml", "roles:\n  ci:\n    kees: [ci.pub]\n")}, "bad.yaml:3"},
		{"config naming a missing key", []string{"verify", c.image, "--config", c.write("nokey.yaml", "roles:\n  ci:\n    keys: [nope.pub]\n    maySign: [tests]\n")}, "roles.ci.keys[0]"},
		{"unknown environment", []string{"verify", c.image, "--config", c.path("gate.yaml"), "--env", "moon"}, `no environment "moon"`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, out := run(t, tc.args...)
			if code != exitUndecided || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q in:\n%s", code, exitUndecided, tc.want, out)
			}
		})
	}
}

func TestBadReportPushesNothing(t *testing.T) {
	c := newCLI(t)
	bad := c.write("broken.xml", "<testsuites>\n<testsuite name=\"a\">\n<testcase name=\"x\">\n</testsuites>\n")
	code, out := run(t, "attest", c.image, "--key", c.path("ci.key"), "--report", bad, "--stage", "unit")
	if code != exitUndecided || !strings.Contains(out, "broken.xml:4") {
		t.Fatalf("exit %d, want %d naming broken.xml and its line:\n%s", code, exitUndecided, out)
	}
	cl := oci.NewClient()
	d, err := cl.Resolve(context.Background(), c.image)
	if err != nil {
		t.Fatal(err)
	}
	if atts, err := cl.List(context.Background(), d); err != nil || len(atts) != 0 {
		t.Fatalf("after a bad report: %d attestations stored (err %v), want none", len(atts), err)
	}
}

func TestPolicyTestFailsOnAFailingTest(t *testing.T) {
	if code, out := run(t, "policy", "test", "../../policies"); code != 0 {
		t.Fatalf("shipped policy tests: exit %d:\n%s", code, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.rego"), []byte("package p\n\nallow := false\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "p_test.rego"), []byte("package p_test\n\nimport data.p\n\ntest_allow if p.allow\n"), 0o600)
	if code, out := run(t, "policy", "test", dir); code != exitNotBlessed {
		t.Fatalf("a failing Rego test: exit %d, want 1 (the answer is no):\n%s", code, out)
	}
}

func TestBadApprovalIsRefusedBeforeTheKeyIsRead(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "") // unset would fail on the key; the input must fail first
	for _, tc := range []struct{ desc, flag, value, want string }{
		{"decision neither go nor nogo", "--decision", "maybe", `decision "MAYBE"`},
		{"expiry in the past", "--expires", "-1h", "in the past"},
		{"a checklist link over http", "--check", "dr-plan=http://wiki.example/dr", "not an https URL"},
		{"a checklist item without a link", "--check", "dr-plan", "want ITEM=URL"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			args := []string{"approve", "127.0.0.1:1/team/app:1.0", "--key", "/nonexistent.key", "--role", "qa", "--decision", "go", "--reason", "ok", tc.flag, tc.value}
			code, out := run(t, args...)
			if code != exitUndecided || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q in:\n%s", code, exitUndecided, tc.want, out)
			}
		})
	}
}
