package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyFmtListsThenWrites(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.rego")
	if err := os.WriteFile(file, []byte("package p\nallow if {   input.x == 1 }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := run(t, "policy", "fmt", dir)
	if code != exitNotBlessed || !strings.Contains(out, file) || !strings.Contains(out, "gate policy fmt -w") {
		t.Fatalf("unformatted: exit %d, want 1 naming the file and -w:\n%s", code, out)
	}
	if code, out := run(t, "policy", "fmt", "-w", dir); code != 0 || !strings.Contains(out, "formatted "+file) {
		t.Fatalf("-w: exit %d:\n%s", code, out)
	}
	if code, out := run(t, "policy", "fmt", dir); code != 0 {
		t.Fatalf("after -w: exit %d:\n%s", code, out)
	}
	if code, out := run(t, "policy", "lint", dir); strings.Contains(out, "opa fmt") {
		t.Fatalf("lint still points at opa fmt (exit %d):\n%s", code, out)
	}
	if code, out := run(t, "policy", "fmt", "../../policies"); code != 0 {
		t.Fatalf("the shipped policy is not formatted: exit %d:\n%s", code, out)
	}
}
