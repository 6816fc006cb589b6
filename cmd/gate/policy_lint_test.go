package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyLint(t *testing.T) {
	if code, out := run(t, "policy", "lint", "../../policies"); code != 0 || !strings.Contains(out, "no problems") {
		t.Fatalf("the shipped policy: exit %d:\n%s", code, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.rego"), []byte("package gate.blessed\n\npredicate_types := set()\n\ndecision := {\"allowed\": allowed, \"gates\": []}\n\nallowed  := true\n"), 0o600)
	code, out := run(t, "policy", "lint", dir)
	for _, want := range []string{filepath.Join(dir, "p.rego") + ":7: format: ", filepath.Join(dir, "p.rego") + ":7: fail-closed: allows an empty input"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != exitNotBlessed {
		t.Errorf("exit %d, want %d", code, exitNotBlessed)
	}
	code, out = run(t, "policy", "lint", dir, "--output", "json")
	var report struct {
		Problems []struct{ File, Check string }
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &report); err != nil || code != exitNotBlessed || len(report.Problems) != 2 {
		t.Errorf("--output json: exit %d, %v:\n%s", code, err, out)
	}
	if code, out := run(t, "policy", "lint", t.TempDir()); code != exitUndecided || !strings.Contains(out, "no .rego files") {
		t.Errorf("an empty directory: exit %d, want %d:\n%s", code, exitUndecided, out)
	}
}

// A policy being started says what gate needs of it in words, not OPA's "undefined".
func TestPolicyLintOfANewPackageSaysWhatIsMissing(t *testing.T) {
	for _, tc := range []struct{ desc, src, want string }{
		{"another package", "package team.release\n\nallow := false\n", "no .rego file is in package gate.blessed"},
		{"no predicate_types", "package gate.blessed\n\nallow := false\n", "package gate.blessed has no rule predicate_types"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "p.rego"), []byte(tc.src), 0o600)
			code, out := run(t, "policy", "lint", dir)
			if code != exitNotBlessed || !strings.Contains(out, tc.want) || strings.Contains(out, "undefined") {
				t.Fatalf("exit %d, want 1 with %q and no \"undefined\":\n%s", code, tc.want, out)
			}
		})
	}
}
