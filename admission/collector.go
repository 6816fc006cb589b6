package admission

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// The webhook's garbage collector, when the memory limit of its container is known. Go's default
// (GOGC=100) collects each time the heap doubles its live size, whatever memory the container
// may use: at a thousand reviews a second that was a collection every few hundred milliseconds,
// each taking a quarter of the CPU while it marks. With a soft limit just under the container's,
// the heap may grow further between collections (GOGC=400) and the runtime collects harder as
// it nears the limit instead of letting the container be OOM-killed: idle memory is traded for
// less collector CPU. Without a known limit, Go's default stays: a heap five times its live
// size would outgrow MaxBytesInFlight's arithmetic (limit.go).
const (
	// CollectorPercent is GOGC when the memory limit is known.
	CollectorPercent = 400
	// memoryLimitShare is the share of the container's limit the Go runtime is held under: the
	// rest is for what its limit does not count (the binary's text, C libraries, the kernel's
	// socket buffers).
	memoryLimitShare = 0.85
)

// Collector is a garbage collector setting.
type Collector struct {
	Percent     int   // GOGC; -1 when off
	MemoryLimit int64 // bytes; math.MaxInt64 when none
}

// SetCollector sets the garbage collector of a webhook whose container may use containerLimit
// bytes: a soft memory limit of 85% of it and GOGC=CollectorPercent; Go's default GOGC of 100
// and no limit when containerLimit is 0 (not known). GOGC and GOMEMLIMIT, when set in the
// environment, win. gate-webhook (which `gate webhook` runs) calls it with --memory-limit, which
// the chart sets from the container's limits.memory; the admission benchmarks call it too, so that what they measure
// is what runs. It returns the setting now in force.
func SetCollector(containerLimit int64) Collector {
	percent := 100
	if containerLimit > 0 {
		percent = CollectorPercent
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(int64(float64(containerLimit) * memoryLimitShare))
		}
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
	return CurrentCollector()
}

// CurrentCollector reads the garbage collector setting in force.
func CurrentCollector() Collector {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return Collector{Percent: int(s[0].Value.Uint64()), MemoryLimit: int64(s[1].Value.Uint64())}
}
