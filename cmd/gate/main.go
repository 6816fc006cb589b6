// Command gate attests, approves and verifies container images against a release policy.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes: a denial and an error are never 0.
const (
	exitBlessed    = 0
	exitNotBlessed = 1
	exitUndecided  = 2
)

// errNotBlessed is returned by commands whose answer is "no".
var errNotBlessed = errors.New("not blessed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	switch {
	case err == nil:
		return exitBlessed
	case errors.Is(err, errNotBlessed):
		return exitNotBlessed
	default:
		fmt.Fprintln(os.Stderr, "gate:", err)
		return exitUndecided
	}
}
