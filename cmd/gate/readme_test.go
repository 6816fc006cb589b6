package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shBlocks returns the fenced ```sh blocks of markdown's section under heading
// (up to the next heading of the same level).
func shBlocks(t *testing.T, markdown, heading string) []string {
	t.Helper()
	_, section, ok := strings.Cut(markdown, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("no section %q", heading)
	}
	level := heading[:strings.Index(heading, " ")+1]
	if i := strings.Index(section, "\n"+level); i >= 0 {
		section = section[:i]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)\n```sh\n(.*?)\n```\n").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		t.Fatalf("section %q has no sh blocks", heading)
	}
	return blocks
}

// runScript runs script with bash -e from dir, in its own process group so
// that whatever it leaves running (a registry) is ended with it.
func runScript(t *testing.T, dir, script string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return out.String(), err
}

// The README's walkthrough, run line by line as a new user would copy it.
func TestReadmeWalkthroughReachesBlessed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gate, a registry and crane")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script := strings.Join(shBlocks(t, string(readme), "## Your first blessed image"), "\n")
	out, err := runScript(t, "../..", script, 5*time.Minute)
	if err != nil {
		t.Fatalf("the walkthrough fails: %v\n%s", err, out)
	}
	notYet := strings.Index(out, "NOT BLESSED")
	blessed := strings.LastIndex(out, "\nBLESSED")
	if notYet < 0 || blessed < notYet || !strings.Contains(out, "exit 1: not blessed yet") {
		t.Fatalf("want NOT BLESSED (exit 1) before the approvals and BLESSED after:\n%s", out)
	}
}
