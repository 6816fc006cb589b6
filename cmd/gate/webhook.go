package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
)

// webhookProgram is the program that serves the admission webhook. It is not
// linked into gate: its Kubernetes client libraries would cost every gate
// command their initialization at start-up.
const webhookProgram = "gate-webhook"

// newWebhook runs gate-webhook in gate's place, with gate webhook's arguments.
func newWebhook() *cobra.Command {
	return &cobra.Command{
		Use:   "webhook [flags]",
		Short: "Serve the Kubernetes admission webhook: admit only blessed images, pin tags to digests (runs gate-webhook)",
		Long: `webhook runs the gate-webhook program, installed beside gate (gate's image and
release have both), with the same arguments: gate webhook --help shows its flags.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			prog, err := findWebhook()
			if err != nil {
				return err
			}
			// exec, not a child: the webhook keeps gate's process, its PID and its signals.
			err = syscall.Exec(prog, append([]string{prog}, args...), os.Environ())
			return fmt.Errorf("running %s: %w", prog, err)
		},
	}
}

// findWebhook looks for gate-webhook beside the running gate, then on PATH.
func findWebhook() (string, error) {
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err == nil {
		beside := filepath.Join(filepath.Dir(self), webhookProgram)
		if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(webhookProgram); err == nil {
		return p, nil
	} else if !errors.Is(err, exec.ErrNotFound) {
		return "", err
	}
	where := "the gate program"
	if self != "" {
		where = filepath.Dir(self)
	}
	return "", fmt.Errorf("gate webhook runs %s, which is neither in %s nor on PATH: install it beside gate from the release (%s_%s_%s), with go install github.com/gatehq/gate/cmd/%s@VERSION, or run gate's image, which has both",
		webhookProgram, where, webhookProgram, runtime.GOOS, runtime.GOARCH, webhookProgram)
}
