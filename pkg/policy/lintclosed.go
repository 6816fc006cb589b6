package policy

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// lintFailClosed evaluates the policy, with each params file and with none,
// on an empty input and on an input with no evidence, and reports where a
// decision that allows came from: the rules named allowed that held, or
// else the decision rule. Load's own checks refuse such a decision too; this
// says which rule to fix.
func lintFailClosed(ctx context.Context, dir string, files []paramsFile) []Problem {
	var problems []Problem
	type finding struct {
		loc          *ast.Location
		inputs, with []string
	}
	var found []*finding // in the order found, one per rule
	for _, f := range append([]paramsFile{{path: "", params: map[string]any{}}}, files...) {
		p, err := Load(ctx, dir, f.params)
		if err != nil {
			problems = append(problems, Problem{File: cmp.Or(f.path, dir), Check: CheckFailClosed, Message: fmt.Sprintf("loading the policy: %v", err)})
			continue
		}
		with := cmp.Or(f.path, "no params")
		env := strings.TrimSuffix(filepath.Base(f.path), ".json")
		for _, in := range []struct {
			desc string
			doc  map[string]any
		}{
			{"an empty input", map[string]any{}},
			{"an input with no evidence", map[string]any{
				"subject":     map[string]any{"digest": "sha256:" + strings.Repeat("0", 64), "reference": ""},
				"environment": env, "now": "2026-01-01T00:00:00Z", "evidence": []any{},
			}},
		} {
			allows, where, err := p.allowsOn(ctx, in.doc)
			if err != nil || !allows {
				continue // an error is a refusal: fail closed
			}
			for _, loc := range where {
				i := slices.IndexFunc(found, func(f *finding) bool { return f.loc.File == loc.File && f.loc.Row == loc.Row })
				if i < 0 {
					found = append(found, &finding{loc: loc})
					i = len(found) - 1
				}
				if !slices.Contains(found[i].inputs, in.desc) {
					found[i].inputs = append(found[i].inputs, in.desc)
				}
				if !slices.Contains(found[i].with, with) {
					found[i].with = append(found[i].with, with)
				}
			}
		}
	}
	for _, f := range found {
		problems = append(problems, Problem{File: f.loc.File, Line: f.loc.Row, Check: CheckFailClosed,
			Message: fmt.Sprintf("allows %s (with %s): nothing may be blessed without evidence", strings.Join(f.inputs, " and "), strings.Join(f.with, ", "))})
	}
	return problems
}

// allowsOn evaluates the decision on doc, unchecked, and says whether it
// allows, and which rules made it: those named allowed that held, else the
// decision rules that did.
func (p *Policy) allowsOn(ctx context.Context, doc map[string]any) (bool, []*ast.Location, error) {
	v, err := ast.InterfaceToValue(doc)
	if err != nil {
		return false, nil, err
	}
	tracer := topdown.NewBufferTracer()
	rs, err := p.decision.Eval(ctx, rego.EvalParsedInput(v), rego.EvalQueryTracer(tracer))
	if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return false, nil, err
	}
	obj, _ := rs[0].Expressions[0].Value.(map[string]any)
	if allowed, _ := obj["allowed"].(bool); !allowed {
		return false, nil, nil
	}
	var allowedRules, decisionRules []*ast.Location
	for _, e := range *tracer {
		r, ok := e.Node.(*ast.Rule)
		if e.Op != topdown.ExitOp || !ok || r.Location == nil {
			continue
		}
		switch r.Head.Ref().String() {
		case "allowed":
			if !r.Default {
				allowedRules = appendLocation(allowedRules, r.Location)
			}
		case "decision":
			decisionRules = appendLocation(decisionRules, r.Location)
		}
	}
	if len(allowedRules) > 0 {
		return true, allowedRules, nil
	}
	return true, decisionRules, nil
}

func appendLocation(locs []*ast.Location, l *ast.Location) []*ast.Location {
	if slices.ContainsFunc(locs, func(x *ast.Location) bool { return x.File == l.File && x.Row == l.Row }) {
		return locs
	}
	return append(locs, l)
}
