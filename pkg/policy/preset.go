package policy

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// A preset is the value of a rule that does not read the input: with the
// params fixed at Load, such a rule (the params gate's problems, the known
// keys, the freshness limits, the rank of gate kinds …) has one value for
// every decision. Load evaluates each once, and every decision starts with
// them in OPA's cache of rule values, as if an earlier expression of the same
// decision had evaluated them: the same values, without evaluating their
// bodies again on each decision.
type preset struct {
	ref   ast.Ref
	value *ast.Term
}

// presets evaluates the rules of c that can be preset: rules without
// arguments, at a path of their own (no rule below it), none of whose rules
// read the input, call a nondeterministic builtin or use `with`, directly or
// through the rules and functions they depend on. A rule that is undefined or
// fails to evaluate is left to each decision, which then fails or is
// undefined as it would have been.
func presets(ctx context.Context, c *ast.Compiler, store storage.Store) ([]preset, error) {
	reads := map[*ast.Rule]bool{} // whether a rule reads the input, memoized
	var readsInput func(r *ast.Rule) bool
	readsInput = func(r *ast.Rule) bool {
		if v, ok := reads[r]; ok {
			return v
		}
		reads[r] = true // a cycle (which the compiler refuses) reads as input
		v := readsInputDirectly(r)
		for dep := range c.Graph.Dependencies(r) {
			if v {
				break
			}
			if d, ok := dep.(*ast.Rule); ok {
				v = readsInput(d)
			} else {
				v = true
			}
		}
		reads[r] = v
		return v
	}

	var out []preset
	seen := map[string]bool{}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			if len(r.Head.Args) > 0 || !r.Head.Ref().IsGround() {
				continue
			}
			path := r.Ref()
			if seen[path.String()] {
				continue
			}
			seen[path.String()] = true
			exact := c.GetRulesExact(path)
			if len(exact) == 0 || len(c.GetRulesWithPrefix(path)) != len(exact) {
				continue
			}
			independent := true
			for _, rule := range exact {
				if len(rule.Head.Args) > 0 || !rule.Head.Ref().IsGround() || readsInput(rule) {
					independent = false
					break
				}
			}
			if !independent {
				continue
			}
			value, err := evalRef(ctx, c, store, path)
			if err != nil {
				return nil, err
			}
			if value != nil {
				out = append(out, preset{ref: path, value: value})
			}
		}
	}
	return out, nil
}

// readsInputDirectly is whether r itself refers to the input, calls a
// nondeterministic builtin or uses `with`.
func readsInputDirectly(r *ast.Rule) bool {
	found := false
	ast.WalkRefs(r, func(ref ast.Ref) bool {
		if ref.HasPrefix(ast.InputRootRef) {
			found = true
		}
		return found
	})
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		if len(e.With) > 0 {
			found = true
		}
		if e.IsCall() {
			if b, ok := ast.BuiltinMap[e.Operator().String()]; ok && b.Nondeterministic {
				found = true
			}
		}
		return found
	})
	return found
}

// evalRef is the value of the document at ref (false too), nil when it is
// undefined or cannot be evaluated.
func evalRef(ctx context.Context, c *ast.Compiler, store storage.Store, ref ast.Ref) (*ast.Term, error) {
	asTerm := rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })
	query := ast.NewBody(ast.Equality.Expr(ast.VarTerm("x"), ast.NewTerm(ref)))
	rs, err := rego.New(rego.ParsedQuery(query), rego.Compiler(c), rego.Store(store), asTerm).Eval(ctx)
	if err != nil || len(rs) != 1 {
		return nil, nil //nolint:nilerr // left to each decision, which meets the same error
	}
	v, ok := rs[0].Bindings["x"].(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("presetting %v: a %T, not a term", ref, rs[0].Bindings["x"])
	}
	return v, nil
}

// cache is a new cache of rule values for one decision, holding the presets.
func cache(presets []preset) topdown.VirtualCache {
	vc := topdown.NewVirtualCache()
	for _, p := range presets {
		vc.Put(p.ref, p.value)
	}
	return vc
}
