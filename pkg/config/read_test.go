package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRefusesAnOversizedFileBeforeReadingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gate.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse, and not YAML: a read would fail on its NUL bytes, not its size.
	if err := f.Truncate(500 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Read(path)
	var cerr *Error
	if !errors.As(err, &cerr) || cerr.File != path || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("Read = %v, want a config Error naming %s and its size limit", err, path)
	}
}

func TestSourcePolicy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gate.yaml")
	yaml := "environments:\n  prod:\n    policy: ../policies\n    data: /etc/gate/prod.json\n  dev:\n    data: dev.json\n  lab:\n    policy: lab\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env, dir, data, err string
	}{
		{env: "prod", dir: filepath.Join(dir, "../policies"), data: "/etc/gate/prod.json"},
		{env: "lab", dir: filepath.Join(dir, "lab")},
		{env: "dev", err: path + ":5: environments.dev.policy: missing"},
		{env: "moon", err: path + ":1: environments: no environment \"moon\" (have dev, lab, prod)"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			d, data, err := src.Policy(tc.env)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("Policy = %v, want an error starting %q", err, tc.err)
				}
				return
			}
			if err != nil || d != tc.dir || data != tc.data {
				t.Errorf("Policy = %q, %q, %v; want %q, %q", d, data, err, tc.dir, tc.data)
			}
		})
	}
}

// The files a config names are read whole, so each is bounded: a key file
// naming /dev/zero read until memory ran out.
func TestNamedFilesAreBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.pub")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	policy, _ := filepath.Abs("../../policies")
	env := "environments:\n  prod:\n    policy: " + policy + "\n"
	for _, tc := range []struct{ desc, yaml, field, msg string }{
		{"a key file of 100 MB", "roles:\n  ci:\n    keys: [big.pub]\n    maySign: [tests]\n" + env, "roles.ci.keys[0]", "larger than 65536 bytes"},
		{"a key file that never ends", "roles:\n  ci:\n    keys: [/dev/zero]\n    maySign: [tests]\n" + env, "roles.ci.keys[0]", "larger than 65536 bytes"},
		{"a trusted root that never ends", "roles:\n  qa:\n    identities: [{issuer: https://i, subject: a@b}]\n    maySign: [approval]\ntrustedRoot: /dev/zero\n" + env, "trustedRoot", "larger than 1048576 bytes"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := filepath.Join(dir, "gate.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(t.Context(), path)
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Load = %v, want an error at %s saying %q", err, tc.field, tc.msg)
			}
		})
	}
}
