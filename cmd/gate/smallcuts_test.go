package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVerifyWithoutConfigSaysHowToGiveOne(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"verify", "127.0.0.1:1/x:1"},
		{"status", "127.0.0.1:1/x"},
		{"blessed", "127.0.0.1:1/x"},
		{"watch", "127.0.0.1:1/x", "--webhook-url", "http://127.0.0.1:1/hook"},
		{"serve", "127.0.0.1:1/x"},
	} {
		code, out := run(t, args...)
		if code != exitUndecided || !strings.Contains(out, "--config FILE or $GATE_CONFIG") {
			t.Errorf("gate %s: exit %d, want 2 naming --config and $GATE_CONFIG:\n%s", strings.Join(args, " "), code, out)
		}
	}
}

func TestGateConfigNamesTheConfig(t *testing.T) {
	c := newCLI(t)
	c.bless(t, c.image)
	t.Setenv("GATE_CONFIG", c.path("gate.yaml"))
	t.Chdir(t.TempDir())
	if code, out := run(t, "verify", c.image); code != exitBlessed {
		t.Fatalf("with $GATE_CONFIG: exit %d, want 0:\n%s", code, out)
	}
}

func TestParseDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3d", 72 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"72h", 72 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"-1h", -time.Hour, true},
		{"d", 0, false},
		{"3days", 0, false},
		{"1d-2h", 0, false},
	} {
		got, err := parseDays(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDays(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestApproveChecksTheKeyHoldsTheRole(t *testing.T) {
	c := newCLI(t)
	cfg := c.path("gate.yaml")
	for _, tc := range []struct {
		desc, key, role string
		wantCode        int
		want            string
	}{
		{"another role's key", "qa.key", "sre", exitUndecided, "a key of role qa"},
		{"the role's key, for three days, by tag", "qa.key", "qa", exitBlessed, "is a tag"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, out := run(t, "approve", c.image, "--config", cfg, "--key", c.path(tc.key), "--role", tc.role, "--decision", "go", "--reason", "ok", "--expires", "3d")
			if code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.wantCode, tc.want, out)
			}
		})
	}
	if code, out := run(t, "generate-key-pair", "--output-key-prefix", c.path("stranger")); code != 0 {
		t.Fatal(out)
	}
	code, out := run(t, "approve", c.image, "--config", cfg, "--key", c.path("stranger.key"), "--role", "sre", "--decision", "go", "--reason", "ok")
	if code != exitUndecided || !strings.Contains(out, "add its public key to roles.sre.keys") {
		t.Fatalf("a key of no role: exit %d, want 2 saying where to add it:\n%s", code, out)
	}
	t.Chdir(t.TempDir())
	code, out = run(t, "approve", c.image, "--key", c.path("sre.key"), "--role", "sre", "--decision", "go", "--reason", "ok")
	if code != exitBlessed || !strings.Contains(out, "warning: no trust config at hand") {
		t.Fatalf("without a config: exit %d, want 0 with a warning:\n%s", code, out)
	}
}

func TestGenerateKeyPairOverwritesOnlyWithForce(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "pw")
	prefix := filepath.Join(t.TempDir(), "qa")
	if code, out := run(t, "generate-key-pair", "--output-key-prefix", prefix); code != 0 {
		t.Fatal(out)
	}
	first, _ := os.ReadFile(prefix + ".pub")
	code, out := run(t, "generate-key-pair", "--output-key-prefix", prefix)
	if again, _ := os.ReadFile(prefix + ".pub"); code != exitUndecided || !strings.Contains(out, "--force") || string(again) != string(first) {
		t.Fatalf("without --force: exit %d, want 2 suggesting --force and the key kept:\n%s", code, out)
	}
	if code, out := run(t, "generate-key-pair", "--output-key-prefix", prefix, "--force"); code != 0 {
		t.Fatalf("--force: exit %d:\n%s", code, out)
	}
	if again, _ := os.ReadFile(prefix + ".pub"); string(again) == string(first) {
		t.Fatal("--force kept the old key")
	}
	if info, _ := os.Stat(prefix + ".key"); info.Mode().Perm() != 0o600 {
		t.Errorf("the private key is %v, want 0600", info.Mode().Perm())
	}
}

func TestVerboseLogsEachRegistryRequest(t *testing.T) {
	c := newCLI(t)
	code, out := run(t, "verify", c.image, "--config", c.path("gate.yaml"), "-v")
	if code != exitNotBlessed {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	host := strings.SplitN(c.image, "/", 2)[0]
	for _, want := range []string{"gate: GET http://" + host + "/v2/", "/referrers/sha256:", ": 200 ("} {
		if !strings.Contains(out, want) {
			t.Errorf("-v output lacks %q:\n%s", want, out)
		}
	}
	if _, out := run(t, "verify", c.image, "--config", c.path("gate.yaml")); strings.Contains(out, "gate: GET ") {
		t.Errorf("without -v, requests are logged:\n%s", out)
	}
}
