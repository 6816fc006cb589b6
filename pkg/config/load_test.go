package config

import (
	"context"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load(context.Background(), "../../examples/gate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Environment(""); err != nil {
		t.Fatalf("default environment: %v", err)
	}
	for _, tc := range []struct {
		role, predicateType string
		want                bool
	}{
		{"ci", attestations.TestResultType, true},
		{"ci", attestations.ApprovalType, false},
		{"qa", attestations.ApprovalType, true},
		{"qa", attestations.TestResultType, false},
	} {
		if got := cfg.Trust.Allows(tc.role, tc.predicateType); got != tc.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", tc.role, tc.predicateType, got, tc.want)
		}
	}
}

func TestConfigMistakesSayWhere(t *testing.T) {
	pub, err := os.ReadFile("../../examples/keys/ci.pub")
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := filepath.Abs("../../policies")
	env := "environments:\n  prod:\n    policy: " + policy + "\n"
	for _, tc := range []struct {
		desc, yaml string
		line       int
		field      string
		msg        string
	}{
		{"not YAML", "roles: [\n", 1, "", "did not find expected"},
		{"unknown field", "roles:\n  ci:\n    keys: [ci.pub]\n    maysign: [tests]\n", 4, "", "maysign"},
		{"no roles", env, 0, "roles", "no roles"},
		{"role with no keys", "roles:\n  ci:\n    maySign: [tests]\n" + env, 2, "roles.ci", "no keys"},
		{"role that may sign nothing", "roles:\n  ci:\n    keys: [ci.pub]\n" + env, 2, "roles.ci.maySign", "may sign nothing"},
		{"unknown predicate kind", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests, vulnz]\n" + env, 4, "roles.ci.maySign[1]", `"vulnz"`},
		{"missing key file", "roles:\n  ci:\n    keys: [ci.pub, gone.pub]\n    maySign: [tests]\n" + env, 3, "roles.ci.keys[1]", "gone.pub"},
		{"not a public key", "roles:\n  ci:\n    keys: [gate.yaml]\n    maySign: [tests]\n" + env, 3, "roles.ci.keys[0]", "not a PEM public key"},
		{"one key in two roles", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\n  qa:\n    keys: [ci.pub]\n    maySign: [approval]\n" + env, 1, "roles", "belongs to one role"},
		{"identity without a trusted root", "roles:\n  qa:\n    identities: [{issuer: https://i, subject: a@b}]\n    maySign: [approval]\n" + env, 0, "trustedRoot", "trusted root"},
		{"identity with two subjects", "roles:\n  qa:\n    identities: [{issuer: https://i, subject: a@b, subjectRegexp: .*}]\n    maySign: [approval]\ntrustedRoot: x.json\n" + env, 3, "roles.qa.identities[0]", "exactly one"},
		{"no environments", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\n", 0, "environments", "no environments"},
		{"environment without a policy", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\nenvironments:\n  prod:\n    data: d.json\n", 6, "environments.prod.policy", "missing"},
		{"missing data file", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\n" + env + "    data: nope.json\n", 8, "environments.prod.data", "nope.json"},
		{"unknown kind in multiSubject", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\n" + env + "multiSubject: [provenance, provenanse]\n", 8, "multiSubject[1]", `"provenanse"`},
		{"default environment that does not exist", "roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\n" + env + "defaultEnvironment: moon\n", 8, "defaultEnvironment", `"moon"`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "ci.pub"), pub, 0o600)
			path := filepath.Join(dir, "gate.yaml")
			os.WriteFile(path, []byte(tc.yaml), 0o600)
			_, err := Load(context.Background(), path)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want a config Error, got %v", err)
			}
			if cerr.File != path || cerr.Line != tc.line || cerr.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %q (line %d, field %q), want line %d, field %q, mentioning %q", err, cerr.Line, cerr.Field, tc.line, tc.field, tc.msg)
			}
		})
	}
}

// TestOnlyEnvironmentCompilesOnlyThatPolicy: a one-shot command compiles the
// policy it decides with, and no other; a load for all environments (the
// webhook's) still finds any broken policy at start.
func TestOnlyEnvironmentCompilesOnlyThatPolicy(t *testing.T) {
	pub, err := os.ReadFile("../../examples/keys/ci.pub")
	if err != nil {
		t.Fatal(err)
	}
	good, _ := filepath.Abs("../../policies")
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	os.Mkdir(broken, 0o700)
	os.WriteFile(filepath.Join(broken, "p.rego"), []byte("package gate.blessed\n\ndecision := x\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ci.pub"), pub, 0o600)
	path := filepath.Join(dir, "gate.yaml")
	os.WriteFile(path, []byte("roles:\n  ci:\n    keys: [ci.pub]\n    maySign: [tests]\nenvironments:\n  prod:\n    policy: "+good+"\n  staging:\n    policy: broken\ndefaultEnvironment: prod\n"), 0o600)
	ctx := context.Background()

	var cerr *Error
	if _, err := Load(ctx, path); !errors.As(err, &cerr) || cerr.Field != "environments.staging.policy" {
		t.Fatalf("loading every environment: want the broken staging policy reported, got %v", err)
	}
	for _, name := range []string{"", "prod"} {
		cfg, err := Load(ctx, path, OnlyEnvironment(name))
		if err != nil {
			t.Fatalf("OnlyEnvironment(%q): %v", name, err)
		}
		if e, err := cfg.Environment(name); err != nil || e.Name != "prod" || e.Policy == nil {
			t.Errorf("OnlyEnvironment(%q): Environment(%q) = %v, %v; want prod, compiled", name, name, e, err)
		}
		if len(cfg.Environments) != 1 {
			t.Errorf("OnlyEnvironment(%q): %d environments compiled, want 1", name, len(cfg.Environments))
		}
		if _, err := cfg.Environment("staging"); err == nil || !strings.Contains(err.Error(), "not compiled") {
			t.Errorf("OnlyEnvironment(%q): Environment(staging) = %v, want refused as not compiled", name, err)
		}
		if _, err := cfg.Environment("moon"); err == nil || !strings.Contains(err.Error(), `no environment "moon"`) {
			t.Errorf("OnlyEnvironment(%q): Environment(moon) = %v, want no such environment", name, err)
		}
	}
	if _, err := Load(ctx, path, OnlyEnvironment("staging")); !errors.As(err, &cerr) || cerr.Field != "environments.staging.policy" {
		t.Errorf("OnlyEnvironment(staging): want its broken policy reported, got %v", err)
	}
	if _, err := Load(ctx, path, OnlyEnvironment("moon")); err == nil || !strings.Contains(err.Error(), `no environment "moon" (have prod, staging)`) {
		t.Errorf("OnlyEnvironment(moon): want no such environment, got %v", err)
	}

	// gate verify reads the registry while its policy compiles: Load returns
	// with the trust, and Environment gives what Load would have given.
	for _, name := range []string{"prod", "staging"} {
		cfg, err := Load(ctx, path, OnlyEnvironment(name), Background())
		if err != nil {
			t.Fatalf("Background, OnlyEnvironment(%q): %v; want the policy's error from Environment", name, err)
		}
		if role, _, ok := cfg.KeyRole(mustPublicKey(t, pub)); !ok || role != "ci" {
			t.Errorf("Background: the ci key's role = %q, %v; want ci", role, ok)
		}
		e, err := cfg.Environment(name)
		if cfg.Compiling(name) {
			t.Errorf("Background: Compiling(%q) after Environment returned", name)
		}
		switch {
		case name == "prod" && (err != nil || e.Name != "prod" || e.Policy == nil):
			t.Errorf("Background: Environment(prod) = %v, %v; want prod, compiled", e, err)
		case name == "staging" && (!errors.As(err, &cerr) || cerr.Field != "environments.staging.policy" || cerr.Line != 9):
			t.Errorf("Background: Environment(staging) = %v, %v; want its broken policy reported at gate.yaml:9", e, err)
		}
		other := map[string]string{"prod": "staging", "staging": "prod"}[name]
		if _, err := cfg.Environment(other); err == nil || !strings.Contains(err.Error(), "not compiled") || cfg.Compiling(other) {
			t.Errorf("Background, OnlyEnvironment(%q): Environment(%s) = %v, want refused as not compiled", name, other, err)
		}
	}

	// gate approve asks only who holds its key: the broken policy neither stops nor slows it.
	cfg, err := Load(ctx, path, TrustOnly())
	if err != nil {
		t.Fatalf("TrustOnly: %v", err)
	}
	if len(cfg.Environments) != 0 {
		t.Errorf("TrustOnly compiled %d policies, want none", len(cfg.Environments))
	}
	if _, err := cfg.Environment("prod"); err == nil || !strings.Contains(err.Error(), "not compiled") {
		t.Errorf("TrustOnly: Environment(prod) = %v, want refused as not compiled", err)
	}
	if role, _, ok := cfg.KeyRole(mustPublicKey(t, pub)); !ok || role != "ci" {
		t.Errorf("TrustOnly: the ci key's role = %q, %v; want ci", role, ok)
	}
}

func mustPublicKey(t *testing.T, pemBytes []byte) crypto.PublicKey {
	t.Helper()
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
