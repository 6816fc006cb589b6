package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/bundle"
)

// The bundle gate policy push packs is an OPA bundle the real opa reads: the
// params where gate mounts them, and the policy deciding as gate's does (no
// evidence: not blessed).
func TestOPAReadsAPolicyBundle(t *testing.T) {
	opa := tool(t, envOPA)
	layer, _, err := bundle.Pack(filepath.Join(repoRoot, "policies"), filepath.Join(repoRoot, "policies", "data", "staging.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bundle.tar.gz")
	if err := os.WriteFile(path, layer, 0o600); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "input.json")
	if err := os.WriteFile(input, []byte(`{"subject": {"digest": "sha256:00", "reference": "x"}, "environment": "staging", "now": "2026-11-29T00:00:00Z", "evidence": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]string{
		"data.gate.params.approvals":         `{"module-lead":1}`,
		"data.gate.blessed.decision.allowed": "false",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
		out, err := exec.CommandContext(ctx, opa, "eval", "--bundle", path, "--input", input, "--format", "raw", query).CombinedOutput()
		cancel()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("opa eval %s: %v %s, want %s", query, err, out, want)
		}
	}
}
