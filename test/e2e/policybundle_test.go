package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
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

// What gate policy push stores, the real opa pulls as a bundle from the
// registry (a bundle service of type oci), with gate's params at data.gate.params.
func TestOPAPullsAPushedPolicyBundle(t *testing.T) {
	opa := tool(t, envOPA)
	r := startReferrersRegistry(t)
	w := newWorld(t)
	kp, err := sign.GenerateKeyPair([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParseKey(kp.PrivatePEM, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	defer cancel()
	if _, err := bundle.Push(ctx, oci.NewClient(), s, r.host+"/gate/policy:prod", filepath.Join(repoRoot, "policies"),
		filepath.Join(repoRoot, "policies", "data", "staging.json")); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cfg := w.write("opa.yaml", []byte(`services:
  reg: {url: "http://`+r.host+`", type: oci}
bundles:
  gate:
    service: reg
    resource: "`+r.host+`/gate/policy:prod"
    polling: {min_delay_seconds: 1, max_delay_seconds: 2}
persistence_directory: "`+w.path("opa")+`"
`))
	cmd, stdout, stderr, stop := w.start(opa, "run", "--server", "--addr", addr, "--config-file", cfg)
	defer func() {
		stop()
		if res := wait(cmd, stdout, stderr, func() {}, time.Now()); t.Failed() {
			t.Log(res)
		}
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/v1/data/gate/params/approvals")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.TrimSpace(string(b)) == `{"result":{"module-lead":1}}` {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("opa did not load the bundle within a minute (last: %v)", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
