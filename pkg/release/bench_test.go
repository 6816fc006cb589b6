//go:build linux

package release

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehq/gate/internal/demo"
	"github.com/google/go-containerregistry/pkg/registry"
)

// benchDigests and the demo's release (5 pipeline attestations and 3 GOs)
// make the benchmark: 50 digests × 8 attestations.
const benchDigests = 50

// BenchmarkStatus builds the release table of a repository of 50 digests
// with 8 attestations each, as `gate status REPO --last 50` does (a fresh
// client per table, as a fresh process has), on the in-process registry
// with the OCI referrers API and without it (the fallback tag scheme). It
// reports requests/op and requests/digest besides the wall time, and fails
// if any blob is fetched twice in one table. The registry shares the
// process, so CPU is reported whole (cpu-ns/op), as the registry's handlers
// spent it (registry-cpu-ns/op) and as the rest (gate-cpu-ns/op: gate, and
// both ends of the HTTP connections).
func BenchmarkStatus(b *testing.B) {
	for _, mode := range []struct {
		name      string
		referrers bool
	}{{"referrers", true}, {"fallback-tags", false}} {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			reg := &cpuMeter{next: registry.New(registry.WithReferrersSupport(mode.referrers), registry.Logger(log.New(io.Discard, "", 0)))}
			srv := httptest.NewServer(reg)
			defer srv.Close()
			dir, err := os.MkdirTemp("", "gate-bench-status-")
			if err != nil {
				b.Fatal(err)
			}
			defer os.RemoveAll(dir)
			s, err := demo.Prepare(ctx, strings.TrimPrefix(srv.URL, "http://"), dir)
			if err != nil {
				b.Fatal(err)
			}
			seed := time.Now()
			for i := range benchDigests {
				if _, err := s.Release(ctx, fmt.Sprintf("1.%d", i), "module-lead", "qa", "sre"); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("seeded %d digests × 8 attestations in %s", benchDigests, time.Since(seed).Round(time.Millisecond))
			cfg := theConfig(b, s.Config)
			var requests int64
			reg.ns.Store(0)
			cpu := processCPU()
			b.ResetTimer()
			for b.Loop() {
				cnt := newCounter()
				t, err := Build(ctx, cnt.client(), cfg, s.Repository, time.Now(), Options{Last: -1})
				if err != nil {
					b.Fatal(err)
				}
				if len(t.Rows) != benchDigests || !t.Rows[0].Verdicts[0].Blessed || len(t.Rows[0].Votes) != 3 {
					b.Fatalf("table has %d rows (want %d), newest blessed=%v with %d votes", len(t.Rows), benchDigests, t.Rows[0].Verdicts[0].Blessed, len(t.Rows[0].Votes))
				}
				if twice := cnt.fetchedTwice(); len(twice) > 0 {
					b.Fatalf("blobs fetched more than once: %v", twice)
				}
				requests += cnt.requests.Load()
			}
			b.StopTimer()
			cpuPerOp := float64(processCPU()-cpu) / float64(b.N)
			regPerOp := float64(reg.ns.Load()) / float64(b.N)
			b.ReportMetric(cpuPerOp, "cpu-ns/op")
			b.ReportMetric(regPerOp, "registry-cpu-ns/op")
			b.ReportMetric(cpuPerOp-regPerOp, "gate-cpu-ns/op")
			perOp := float64(requests) / float64(b.N)
			b.ReportMetric(perOp, "requests/op")
			b.ReportMetric(perOp/benchDigests, "requests/digest")
		})
	}
}

// cpuMeter measures the CPU a handler spends: each request is served on a
// thread of its own for its duration, whose CPU time Linux counts apart.
type cpuMeter struct {
	next http.Handler
	ns   atomic.Int64
}

// rusageThread is Linux's RUSAGE_THREAD, which the syscall package does not name.
const rusageThread = 1

func (m *cpuMeter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := rusage(rusageThread)
	m.next.ServeHTTP(w, r)
	m.ns.Add(rusage(rusageThread) - start)
}

func processCPU() int64 { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
