// Command gate attests, approves and verifies container images against a release policy.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"

	"github.com/gatehq/gate/internal/startgc"
	"github.com/spf13/cobra"
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
// that run once and exit, which is all but serve and watch, and that collect
// (uncollected). Such a command lives
// for a fraction of a second and peaks at a few MB, mostly the compiled policy,
// which stays live to the end: at Go's default of 100 it collected 2 to 3
// times per `gate verify`, for nothing it could give back. At 400, a
// one-shot verify spent a third less CPU (BENCHMARKS.md). GOGC, when set,
// wins.
const oneShotGCPercent = 400

// uncollected are the commands that run with the collector off from start
// to exit (internal/startgc): one-shot, and bounded in what they read by
// the read budget of a verify. Every other command gets oneShotGCPercent.
var uncollected = []string{"verify"}

func main() {
	root := newRoot()
	if collects(root, os.Args[1:]) {
		startgc.Restore(oneShotGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

// collects says whether the command args name collects garbage: every
// command but the uncollected ones.
func collects(root *cobra.Command, args []string) bool {
	cmd, _, err := root.Find(args)
	return err != nil || cmd.Parent() != root || !slices.Contains(uncollected, cmd.Name())
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
// is set: its heap, unlike a one-shot command's, must not grow 5-fold
// without a bound. (gate-webhook, a program of its own, sets its own target
// under its container's memory limit: admission.SetCollector.)
func longRunning() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
}
