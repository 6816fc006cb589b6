package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gate verify compiles its policy while it reads the registry; a policy that
// does not compile is still what it reports, with its file and line and the
// config key, when the registry cannot be reached either: exit 2.
func TestVerifyReportsABrokenPolicyFirst(t *testing.T) {
	dir := t.TempDir()
	pub, err := os.ReadFile("../../examples/keys/ci.pub")
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "policy")
	for name, data := range map[string]string{
		"ci.pub":              string(pub),
		"policy/blessed.rego": "package gate.blessed\n\ndecision := {\"allowed\": true, \"gates\": [x]}\n",
		"gate.yaml":           "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\nenvironments:\n  prod:\n    policy: policy\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out := run(t, "verify", "127.0.0.1:1/app@sha256:"+strings.Repeat("a", 64), "--config", filepath.Join(dir, "gate.yaml"), "--timeout", "5s")
	if code != exitUndecided || !strings.Contains(out, "environments.prod.policy") || !strings.Contains(out, filepath.Join(broken, "blessed.rego")+":3") {
		t.Fatalf("exit %d, want 2 naming environments.prod.policy and %s:3:\n%s", code, filepath.Join(broken, "blessed.rego"), out)
	}
	if strings.Contains(out, "127.0.0.1:1") {
		t.Errorf("the registry's error, not the policy's, was reported:\n%s", out)
	}
}
