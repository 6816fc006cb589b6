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
