package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gate webhook runs the gate-webhook beside gate with its arguments, and
// says how to install it when there is none.
func TestWebhookRunsGateWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gate and gate-webhook")
	}
	gate := gateBinary(t)
	dir := t.TempDir()
	alone := filepath.Join(dir, "gate")
	b, err := os.ReadFile(gate)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	// No gate-webhook on PATH: only the one beside gate counts.
	gateIn := func(args ...string) *exec.Cmd {
		cmd := exec.Command(alone, args...)
		cmd.Env = append(os.Environ(), "PATH="+dir)
		return cmd
	}
	out, err := gateIn("webhook", "--log-format", "yaml").CombinedOutput()
	if code := exitOf(err); code != exitUndecided || !strings.Contains(string(out), "install it beside gate") || !strings.Contains(string(out), "gate-webhook_") {
		t.Fatalf("gate webhook without gate-webhook: exit %d, want 2 saying how to install it:\n%s", code, out)
	}

	if b, err := exec.Command("go", "build", "-o", filepath.Join(dir, webhookProgram), "../gate-webhook").CombinedOutput(); err != nil {
		t.Fatalf("building gate-webhook: %v\n%s", err, b)
	}
	out, err = gateIn("webhook", "--log-format", "yaml").CombinedOutput()
	if code := exitOf(err); code != exitUndecided || !strings.Contains(string(out), `gate-webhook: log format "yaml"`) {
		t.Fatalf("gate webhook --log-format yaml: exit %d, want gate-webhook's refusal:\n%s", code, out)
	}
	out, err = gateIn("webhook", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--webhook-config") || !strings.Contains(string(out), "gate-webhook [flags]") {
		t.Fatalf("gate webhook --help: want gate-webhook's flags: %v\n%s", err, out)
	}
}

func exitOf(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
