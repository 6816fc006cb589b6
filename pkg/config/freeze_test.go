package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

func TestFreezeRolesMayFreezeAndNoOneElse(t *testing.T) {
	cfg, err := Load(context.Background(), "../../examples/gate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Freeze == nil || cfg.Freeze.Repository != "reg.example/gate-freeze" {
		t.Fatalf("Freeze = %+v, want the example's repository", cfg.Freeze)
	}
	for role, want := range map[string]bool{"sre": true, "qa": false, "ci": false} {
		if got := cfg.Trust.Allows(role, attestations.FreezeType); got != want {
			t.Errorf("Allows(%s, freeze) = %v, want %v", role, got, want)
		}
	}
}

func TestFreezeMistakesSayWhere(t *testing.T) {
	pub, err := os.ReadFile("../../examples/keys/ci.pub")
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := filepath.Abs("../../policies")
	base := "roles:\n  sre:\n    keys: [sre.pub]\n    maySign: [approval]\nenvironments:\n  prod:\n    policy: " + policy + "\n"
	for _, tc := range []struct{ desc, yaml, field, msg string }{
		{"no repository", base + "freeze:\n  roles: [sre]\n", "freeze.repository", "missing"},
		{"no roles", base + "freeze:\n  repository: r.example/f\n", "freeze.roles", "nobody could freeze"},
		{"unknown role", base + "freeze:\n  repository: r.example/f\n  roles: [sre, root]\n", "freeze.roles[1]", `"root"`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "sre.pub"), pub, 0o600)
			path := filepath.Join(dir, "gate.yaml")
			os.WriteFile(path, []byte(tc.yaml), 0o600)
			_, err := Load(context.Background(), path)
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want a config Error at %s mentioning %q", err, tc.field, tc.msg)
			}
		})
	}
}
