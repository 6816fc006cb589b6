package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/open-policy-agent/opa/v1/rego"
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
	for b.Loop() {
		if _, err := p.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
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
			for b.Loop() {
				if _, err := p.Evaluate(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
