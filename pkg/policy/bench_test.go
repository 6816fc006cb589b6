package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// benchInput holds seven pieces of evidence: one per gate kind and two approvals.
func benchInput(b testing.TB) Input {
	return input([]Evidence{
		testResult(b, "unit", attestations.ResultPassed, 40, 0),
		testResult(b, "integration", attestations.ResultPassed, 12, 0),
		coverage(b, 85.2),
		scan(b, finding{"CVE-2024-0001", "MEDIUM", "zlib"}, finding{"CVE-2024-0002", "LOW", "curl"}),
		provenance(b, trustedBuilder, trustedSource),
		approval(b, "lead@acme.com", "module-lead", attestations.DecisionGo, "reviewed"),
		approval(b, "qa@acme.com", "qa", attestations.DecisionGo, "green"),
	})
}

func BenchmarkEvaluate(b *testing.B) {
	p, in, ctx := load(b, "production"), benchInput(b), context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := p.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(exprsEvaluated(b, p, in)), "exprs/op")
}

// exprsEvaluated is how many expressions one decision on in evaluates, as
// OPA's tracer counts them: unlike time, the same on a busy machine, and
// what a decision's cost follows (about 1.5 µs each).
func exprsEvaluated(b *testing.B, p *Policy, in Input) int {
	v, err := in.value()
	if err != nil {
		b.Fatal(err)
	}
	var n exprCounter
	if _, err := p.decision.Eval(context.Background(), rego.EvalParsedInput(v), rego.EvalVirtualCache(cache(p.presets.Load())), rego.EvalQueryTracer(&n)); err != nil {
		b.Fatal(err)
	}
	return int(n)
}

type exprCounter int

func (n *exprCounter) Enabled() bool               { return true }
func (n *exprCounter) Config() topdown.TraceConfig { return topdown.TraceConfig{} }
func (n *exprCounter) TraceEvent(e topdown.Event) {
	if e.Op == topdown.EvalOp {
		*n++
	}
}

// cpuTime is the process's user and system CPU time in nanoseconds: on a
// shared machine, steadier than wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkEvaluateJSONInput is what Evaluate would cost handing OPA the
// struct, which it converts by a JSON round trip: the baseline Evaluate's
// direct conversion is measured against.
func BenchmarkEvaluateJSONInput(b *testing.B) {
	p, in, ctx := load(b, "production"), benchInput(b), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rs, err := p.decision.Eval(ctx, rego.EvalInput(in))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decode(rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateLargeScan shows how a decision grows with a fat image's
// scan: 1,000 findings, 50 of them at or above HIGH.
func BenchmarkEvaluateLargeScan(b *testing.B) {
	in := benchInput(b)
	var findings []finding
	for i := range 1000 {
		severity := "LOW"
		if i%20 == 0 {
			severity = "HIGH"
		}
		findings = append(findings, finding{fmt.Sprintf("CVE-2024-%04d", i), severity, fmt.Sprintf("pkg%d", i%37)})
	}
	in.Evidence[3] = scan(b, findings...)
	p, ctx := load(b, "production"), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateGate evaluates benchInput with production's params cut down
// to one gate at a time ("none" keeps only max_approval_age, which alone
// enables no gate): what each gate of the shipped Rego costs, for deciding
// where a cheaper policy would pay.
func BenchmarkEvaluateGate(b *testing.B) {
	full, err := LoadParams(filepath.Join(policiesDir, "data", "production.json"))
	if err != nil {
		b.Fatal(err)
	}
	in, ctx := benchInput(b), context.Background()
	for _, gate := range []string{"all", "none", "required_tests", "min_coverage", "deny_severity", "provenance", "approvals"} {
		params := map[string]any{"max_approval_age": full["max_approval_age"]}
		switch gate {
		case "all":
			params = full
		case "none":
		default:
			params[gate] = full[gate]
		}
		b.Run(gate, func(b *testing.B) {
			p, err := Load(ctx, policiesDir, params)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := p.Evaluate(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkEvaluatePartialEval is what partial evaluation at prepare time
// would give (rego.WithPartialEval: the params are known, the input is not),
// measured against BenchmarkEvaluate: Load does not use it, because the
// residual policy was slower, not faster (BENCHMARKS.md).
func BenchmarkEvaluatePartialEval(b *testing.B) {
	ctx := context.Background()
	params, err := LoadParams(filepath.Join(policiesDir, "data", "production.json"))
	if err != nil {
		b.Fatal(err)
	}
	doc, _, err := canonicalParams(params)
	if err != nil {
		b.Fatal(err)
	}
	names, err := policyFiles(policiesDir)
	if err != nil {
		b.Fatal(err)
	}
	modules := map[string]*ast.Module{}
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(policiesDir, name))
		if err != nil {
			b.Fatal(err)
		}
		if modules[name], err = ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: capabilities()}); err != nil {
			b.Fatal(err)
		}
	}
	store := inmem.NewFromObjectWithOpts(map[string]any{"gate": map[string]any{"params": doc}}, inmem.OptReturnASTValuesOnRead(true))
	c, err := compile(ctx, store, modules)
	if err != nil {
		b.Fatal(err)
	}
	pq, err := rego.New(rego.Query(decisionQuery), rego.Compiler(c), rego.Store(store)).PrepareForEval(ctx, rego.WithPartialEval())
	if err != nil {
		b.Fatal(err)
	}
	in := benchInput(b)
	want, err := load(b, "production").Evaluate(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		v, err := in.value()
		if err != nil {
			b.Fatal(err)
		}
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(v))
		if err != nil {
			b.Fatal(err)
		}
		got, err := decode(rs)
		if err != nil {
			b.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			b.Fatalf("partial evaluation decided %+v, want %+v", got, want)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkEvaluateManyApprovals shows how a decision grows with approvals:
// benchInput plus 30 more, three decisions from each of ten sre signers.
func BenchmarkEvaluateManyApprovals(b *testing.B) {
	in := benchInput(b)
	for i := range 30 {
		in.Evidence = append(in.Evidence, approval(b, fmt.Sprintf("sre%d@acme.com", i%10), "sre", attestations.DecisionGo, fmt.Sprintf("check %d", i)))
	}
	p, ctx := load(b, "production"), context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := p.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkLoad is what compiling the shipped policy with production's params
// costs: a one-shot gate verify pays it once.
func BenchmarkLoad(b *testing.B) {
	params, err := LoadParams(filepath.Join(policiesDir, "data", "production.json"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := Load(ctx, policiesDir, params); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
