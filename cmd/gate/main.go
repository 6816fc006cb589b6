// Command gate attests, approves and verifies container images against a release policy.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
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

// oneShotGCPercent is the garbage collector's target (GOGC) for the commands
// that run once and exit, which is all but the webhook. Such a command lives
// for a fraction of a second and peaks at a few MB, mostly the compiled policy,
// which stays live to the end: at Go's default of 100 it collected 2 to 3
// times per `gate verify`, for nothing it could give back. At 400, a
// one-shot verify spent a third less CPU (BENCHMARKS.md). GOGC, when set,
// wins.
const oneShotGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(oneShotGCPercent)
	}
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

// longRunning gives a server Go's default collector target back, unless GOGC
// is set: its heap, unlike a one-shot command's, must not grow 5-fold.
func longRunning() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
}
