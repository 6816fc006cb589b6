package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadFastPath loads a config whose prod environment has the fastPath fast (YAML flow), with
// the roles verifier (may sign VSAs) and ci (may not).
func loadFastPath(t *testing.T, fast string) (*Config, error) {
	t.Helper()
	pub, err := os.ReadFile("../../examples/keys/ci.pub")
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile("../../examples/keys/sre.pub")
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := filepath.Abs("../../policies")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ci.pub"), pub, 0o600)
	os.WriteFile(filepath.Join(dir, "verifier.pub"), other, 0o600)
	yaml := "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\n  verifier:\n    keys: [verifier.pub]\n    maySign: [vsa]\n" +
		"environments:\n  prod:\n    policy: " + policy + "\n"
	if fast != "" {
		yaml += "    fastPath: " + fast + "\n"
	}
	path := filepath.Join(dir, "gate.yaml")
	os.WriteFile(path, []byte(yaml), 0o600)
	return Load(context.Background(), path)
}

func TestFastPathIsReadPerEnvironment(t *testing.T) {
	cfg, err := loadFastPath(t, "{roles: [verifier], maxAge: 90m}")
	if err != nil {
		t.Fatal(err)
	}
	fp := cfg.Environments["prod"].FastPath
	if fp == nil || len(fp.Roles) != 1 || fp.Roles[0] != "verifier" || fp.MaxAge != 90*time.Minute {
		t.Fatalf("FastPath = %+v, want roles [verifier], maxAge 90m", fp)
	}
	cfg, err = loadFastPath(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if fp := cfg.Environments["prod"].FastPath; fp != nil {
		t.Errorf("no fastPath written, yet FastPath = %+v: the webhook would take VSAs nobody allowed", fp)
	}
}

func TestFastPathMistakesSayWhere(t *testing.T) {
	for _, tc := range []struct{ desc, fast, field, msg string }{
		{"no roles", "{maxAge: 1h}", "environments.prod.fastPath.roles", "no roles"},
		{"unknown role", "{roles: [verifier, auditor], maxAge: 1h}", "environments.prod.fastPath.roles[1]", `"auditor" is not one of the roles`},
		{"role that may not sign VSAs", "{roles: [ci], maxAge: 1h}", "environments.prod.fastPath.roles[0]", "add vsa to roles.ci.maySign"},
		{"no maxAge", "{roles: [verifier]}", "environments.prod.fastPath.maxAge", "missing"},
		{"maxAge not a duration", "{roles: [verifier], maxAge: 1d}", "environments.prod.fastPath.maxAge", "30m or 1h"},
		{"maxAge zero", "{roles: [verifier], maxAge: 0s}", "environments.prod.fastPath.maxAge", "must be positive"},
		{"maxAge negative", "{roles: [verifier], maxAge: -1h}", "environments.prod.fastPath.maxAge", "must be positive"},
		{"maxAge too long", "{roles: [verifier], maxAge: 48h}", "environments.prod.fastPath.maxAge", "at most 24h"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := loadFastPath(t, tc.fast)
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.Field != tc.field || cerr.Line != 11 || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want a config Error at %s (line 11) mentioning %q", err, tc.field, tc.msg)
			}
		})
	}
	t.Run("unknown key", func(t *testing.T) {
		_, err := loadFastPath(t, "{roles: [verifier], maxAge: 1h, maxage: 2h}")
		var cerr *Error
		if !errors.As(err, &cerr) || cerr.Line != 11 || !strings.Contains(err.Error(), "maxage") {
			t.Errorf("got %v, want the unknown key refused at line 11", err)
		}
	})
}
