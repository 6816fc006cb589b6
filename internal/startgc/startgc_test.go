package startgc

import (
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"testing"
)

// TestOffUntilRestored checks that a process started without GOGC begins
// with the collector off under HeapLimit, and that Restore turns it on with
// the target given and lifts the limit.
func TestOffUntilRestored(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set; TestGOGCWins covers it")
	}
	if !Off {
		t.Fatal("GOGC unset, yet the collector was not turned off at start")
	}
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("at start the collector's target is %d, want off (-1)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != HeapLimit {
		t.Errorf("at start the memory limit is %d, want HeapLimit %d", l, int64(HeapLimit))
	}
	Restore(150)
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("after Restore(150) the collector's target is %d", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("after Restore the memory limit is %d, want none", l)
	}
}

// TestGOGCWins checks, in a process of its own started with GOGC set, that
// the collector is left as GOGC says.
func TestGOGCWins(t *testing.T) {
	if os.Getenv("STARTGC_CHILD") == "1" {
		if Off {
			t.Fatal("GOGC=200 was set, yet the collector was turned off at start")
		}
		if p := debug.SetGCPercent(200); p != 200 {
			t.Fatalf("GOGC=200, yet the collector's target is %d", p)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestGOGCWins$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "STARTGC_CHILD=1", "GOGC=200")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child with GOGC=200: %v\n%s", err, out)
	}
}
