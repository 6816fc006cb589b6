// Package startgc holds the garbage collector off from the start of a gate process until main says otherwise.
package startgc

import (
	"os"
	"runtime/debug"
)

// HeapLimit bounds the heap while collection is off: past it the collector
// runs to stay under it. A one-shot `gate verify` allocates about 16 MB in
// all (package initialization about 6, the compiled policy most of the
// rest), so it never collects; a hostile image whose attestations fill the
// whole read budget (64 MB of bundles, more once decoded) is collected at
// this bound instead of growing a heap GOGC times its live size.
const HeapLimit = 256 << 20

// Off is true when collection was turned off at start, which it is unless
// GOGC is set. At Go's default the collector ran once or twice before main
// (a 4 MB heap goal) and once more during a cold verify, for garbage a
// process that exits in a fraction of a second never needs back: about a
// sixth of its CPU (BENCHMARKS.md, "Start-up of a one-shot gate"). Package
// initialization is the only code that runs before main, so this is a
// package variable's initializer; Go initializes packages in import path
// order once their imports are, and this one imports only the standard
// library, which puts it before OPA, Prometheus and k8s.io (in gate, 0.9 MB
// of initialization's allocations come before it, 3.8 MB after). main calls
// Restore for every command that may live long or allocate without bound.
// A GOMEMLIMIT that is set is kept, in place of HeapLimit.
var Off = off()

// limit is the memory limit before off: math.MaxInt64, or GOMEMLIMIT's.
var limit int64

func off() bool {
	if os.Getenv("GOGC") != "" {
		return false
	}
	limit = debug.SetMemoryLimit(-1) // reads it
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(HeapLimit)
	}
	debug.SetGCPercent(-1)
	return true
}

// Restore, when Off, turns collection back on with target percent (GOGC)
// and gives back the memory limit there was (none, or GOMEMLIMIT's).
func Restore(percent int) {
	if !Off {
		return
	}
	debug.SetGCPercent(percent)
	debug.SetMemoryLimit(limit)
}
