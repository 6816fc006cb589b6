package policy

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// TestPoliciesAreFormatted holds every .rego file under policies/ to what
// `opa fmt` writes, so that reviews see changes, not layout.
func TestPoliciesAreFormatted(t *testing.T) {
	var paths []string
	err := filepath.WalkDir(policiesDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".rego") {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .rego files in %s: %v", policiesDir, err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			formatted, err := format.SourceWithOpts(path, src, format.Opts{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(src, formatted) {
				t.Errorf("%s is not formatted: run opa fmt -w %s", path, path)
			}
		})
	}
}
