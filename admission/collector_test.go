package admission_test

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/gatehq/gate/admission"
)

// TestSetCollector checks the webhook's collector setting: GOGC 400 under 85% of a known
// container limit, Go's default without one, and GOGC and GOMEMLIMIT winning when set.
func TestSetCollector(t *testing.T) {
	was := admission.CurrentCollector()
	t.Cleanup(func() { debug.SetGCPercent(was.Percent); debug.SetMemoryLimit(was.MemoryLimit) })
	const limit = 512 << 20
	none := admission.Collector{Percent: 100, MemoryLimit: math.MaxInt64} // Go's default
	for _, tc := range []struct {
		desc             string
		gogc, gomemlimit string
		start            admission.Collector // as the runtime read the environment
		containerLimit   int64
		want             admission.Collector
	}{
		{"a known limit", "", "", none, limit, admission.Collector{Percent: admission.CollectorPercent, MemoryLimit: limit * 85 / 100}},
		{"GOGC wins", "150", "", admission.Collector{Percent: 150, MemoryLimit: math.MaxInt64}, limit,
			admission.Collector{Percent: 150, MemoryLimit: limit * 85 / 100}},
		{"GOMEMLIMIT wins", "", "300MiB", admission.Collector{Percent: 100, MemoryLimit: 300 << 20}, limit,
			admission.Collector{Percent: admission.CollectorPercent, MemoryLimit: 300 << 20}},
		{"no known limit: Go's default", "", "", admission.Collector{Percent: 400, MemoryLimit: math.MaxInt64}, 0, none},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			debug.SetGCPercent(tc.start.Percent)
			debug.SetMemoryLimit(tc.start.MemoryLimit)
			if got := admission.SetCollector(tc.containerLimit); got != tc.want {
				t.Errorf("SetCollector(%d) = %+v, want %+v", tc.containerLimit, got, tc.want)
			}
		})
	}
}
