package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A team's setup from gate init, used as its printed next steps say, blesses
// an image: real keys, the shipped policy, the team's data, a real registry.
func TestInitThenAttestApproveVerifyIsBlessed(t *testing.T) {
	c := newCLI(t) // the registry and image only; init makes its own keys and config
	dir := filepath.Join(t.TempDir(), "team")
	code, out := run(t, "init", dir, "--builder-id", "https://ci.example/builders/release", "--source", "git+https://git.example/shop", "--min-coverage", "75")
	if code != 0 {
		t.Fatalf("init: exit %d:\n%s", code, out)
	}
	for _, want := range []string{"next:", "gate attest IMAGE --key " + filepath.Join(dir, "keys/ci.key"), "gate verify IMAGE --config " + filepath.Join(dir, "gate.yaml")} {
		if !strings.Contains(out, want) {
			t.Errorf("init's output lacks %q:\n%s", want, out)
		}
	}
	key := func(role string) string { return filepath.Join(dir, "keys", role+".key") }
	reports := "../../internal/demo/reports/"
	steps := [][]string{
		{"attest", c.image, "--key", key("ci"), "--provenance", "--builder-id", "https://ci.example/builders/release",
			"--build-type", "https://ci.example/build/oci@v1", "--source", "git+https://git.example/shop", "--commit", "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"},
		{"attest", c.image, "--key", key("ci"), "--report", reports + "unit.jsonl", "--stage", "unit"},
		{"attest", c.image, "--key", key("ci"), "--report", reports + "integration-pass.xml", "--stage", "integration"},
		{"attest", c.image, "--key", key("ci"), "--report", reports + "go-chi.cover"},
		{"attest", c.image, "--key", key("ci"), "--report", reports + "trivy-clean.json"},
	}
	for _, role := range []string{"module-lead", "qa", "sre"} {
		steps = append(steps, []string{"approve", c.image, "--key", key(role), "--role", role, "--decision", "go", "--reason", "reviewed"})
	}
	for _, s := range steps {
		if code, out := run(t, s...); code != 0 {
			t.Fatalf("gate %s: exit %d:\n%s", strings.Join(s, " "), code, out)
		}
	}
	if code, out := run(t, "verify", c.image, "--config", filepath.Join(dir, "gate.yaml")); code != exitBlessed || !strings.HasPrefix(out, "BLESSED") {
		t.Fatalf("verify: exit %d, want 0 and BLESSED:\n%s", code, out)
	}
	if code, out := run(t, "policy", "lint", filepath.Join(dir, "policies")); code != 0 {
		t.Fatalf("lint of init's policy: exit %d:\n%s", code, out)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "pw")
	dir := t.TempDir()
	if code, out := run(t, "init", dir); code != 0 {
		t.Fatalf("first init: exit %d:\n%s", code, out)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "keys", "qa.key"))
	code, out := run(t, "init", dir)
	if code != exitUndecided || !strings.Contains(out, "exists") {
		t.Fatalf("second init: exit %d, want %d saying what exists:\n%s", code, exitUndecided, out)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "keys", "qa.key")); string(after) != string(before) {
		t.Fatal("second init changed qa.key")
	}
}

func TestInitTakesKeysPeopleHold(t *testing.T) {
	c := newCLI(t) // for its qa.pub, made by generate-key-pair
	dir := filepath.Join(t.TempDir(), "team")
	code, out := run(t, "init", dir, "--role", "ci", "--role", "qa", "--pub", "qa="+c.path("qa.pub"))
	if code != 0 {
		t.Fatalf("init: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "qa.key")); err == nil {
		t.Error("init made a private key for qa, whose public key was given")
	}
	got, _ := os.ReadFile(filepath.Join(dir, "keys", "qa.pub"))
	want, _ := os.ReadFile(c.path("qa.pub"))
	if string(got) != string(want) {
		t.Error("keys/qa.pub is not the key given with --pub")
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "gate.yaml"))
	if strings.Contains(string(cfg), "sre") {
		t.Errorf("gate.yaml names a role not asked for:\n%s", cfg)
	}
	if code, out := run(t, "init", t.TempDir(), "--role", "ci", "--pub", "qa=x.pub"); code != exitUndecided || !strings.Contains(out, "--role qa") {
		t.Fatalf("--pub for a role not made: exit %d, want 2 suggesting --role qa:\n%s", code, out)
	}
}
