package admit_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
)

// BenchmarkFastPath decides one blessed image carrying 7 attestations (tests, scan, coverage,
// provenance, 3 GOs) and a PASSED VSA of them, cold: a new Checker, so no cached decision, each
// time. full verifies the 7 and evaluates the policy, as production without fastPath does; fast
// takes the VSA. cpu-ns/op is the CPU time of the whole process (gate and the registry serving
// it), which a shared machine's queue does not inflate as it does ns/op.
func BenchmarkFastPath(b *testing.B) {
	f := admittest.New(b)
	f.WithFastPath(b, time.Hour)
	ref, d := f.Image(b, "shop/web", "1.0")
	f.Bless(b, ref)
	f.PushVSA(b, f.Signer(admittest.Verifier), f.Decide(b, admittest.Production, ref), d)
	e, err := f.Config.Environment(admittest.Production)
	if err != nil {
		b.Fatal(err)
	}
	fast := e.FastPath
	for _, bc := range []struct {
		name string
		fast *config.FastPath
		gate string // the first gate of the decision: which path decided
	}{{"full", nil, "tests/unit"}, {"fast", fast, gate.VSAGate}} {
		b.Run(bc.name, func(b *testing.B) {
			e.FastPath = bc.fast
			defer func() { e.FastPath = fast }()
			b.ReportAllocs()
			before, start := f.Requests.Load(), cpuTime()
			for b.Loop() {
				c, err := admit.NewChecker(f.Config)
				if err != nil {
					b.Fatal(err)
				}
				rs, err := c.Check(context.Background(), admit.Client(f.Client), admittest.Production, []string{d.String()})
				if err != nil || !rs[0].Allowed() {
					b.Fatalf("not allowed: %v %s", err, rs[0].Explain())
				}
				if g := rs[0].Decision.Gates[0].Name; (g == gate.VSAGate) != (bc.gate == gate.VSAGate) {
					b.Fatalf("decided by gate %s, want %s", g, bc.gate)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(f.Requests.Load()-before)/float64(b.N), "requests/op")
		})
	}
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
