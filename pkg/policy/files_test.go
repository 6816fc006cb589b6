package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A policy compiled from memory decides as its directory does and is named
// by its origin; its errors name the origin and the file and line.
func TestCompileFromMemory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := "package gate.blessed\n\npredicate_types := set()\n\ndecision := {\"allowed\": false, \"gates\": [{\"name\": \"x\", \"passed\": false, \"reason\": \"r\"}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	fromDir, err := Load(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"/p.rego": []byte(src), "/p_test.rego": []byte("not rego"), "/data.json": []byte("{}")}
	unnamed, err := Compile(ctx, "", files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if unnamed.Version() != fromDir.Version() {
		t.Errorf("version %s from memory, %s from the directory: the same files and params must be one version", unnamed.Version(), fromDir.Version())
	}
	named, err := Compile(ctx, "oci://reg/p@sha256:ab", files, nil)
	if err != nil || named.Version() != "oci://reg/p@sha256:ab" {
		t.Fatalf("version %v (%v), want the origin", named, err)
	}
	_, err = Compile(ctx, "oci://reg/p@sha256:ab", map[string][]byte{"/p.rego": []byte("package gate.blessed\n\nx := ]\n")}, nil)
	if err == nil || !strings.Contains(err.Error(), "oci://reg/p@sha256:ab:p.rego:3") {
		t.Errorf("error %v, want it to name oci://reg/p@sha256:ab:p.rego:3", err)
	}
}
