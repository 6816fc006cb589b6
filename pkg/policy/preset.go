package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// A preset is the value of a rule that does not read the input: with the
// params fixed at Load, such a rule (the params gate's problems, the known
// keys, the freshness limits, the rank of gate kinds …) has one value for
// every decision. A decision that succeeds leaves these values in OPA's cache
// of rule values, as it leaves every rule's, and each later decision starts
// with them there, as if an earlier expression of the same decision had
// evaluated them: the same values, without evaluating their bodies again.
// Nothing is evaluated for them at Load, which a one-shot gate verify pays for.
type preset struct {
	ref   ast.Ref
	value *ast.Term
}

// presetRefs returns the paths of the rules of c that can be preset: rules
// without arguments, at a path of their own (no rule below it), none of whose
// rules read the input, call a nondeterministic builtin or use `with`,
// directly or through the rules and functions they depend on.
func presetRefs(c *ast.Compiler) []ast.Ref {
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

	var out []ast.Ref
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
			out = append(out, path)
		}
	}
	return out
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

// maxHarvests is how many decisions may look for presets: some rules no
// decision evaluates (predicate_types), so the set may never be complete.
const maxHarvests = 16

// harvest returns the values vc holds for refs, vc having been the cache of a
// decision that succeeded.
func harvest(vc topdown.VirtualCache, refs []ast.Ref) []preset {
	var out []preset
	for _, ref := range refs {
		// An undefined rule is cached as nil, and preset as undefined.
		if v, undefined := vc.Get(ref); v != nil || undefined {
			out = append(out, preset{ref: ref, value: v})
		}
	}
	return out
}

// cache is a new cache of rule values for one decision, holding the presets
// (none before the first decision).
func cache(presets *[]preset) topdown.VirtualCache {
	vc := topdown.NewVirtualCache()
	if presets != nil {
		for _, p := range *presets {
			vc.Put(p.ref, p.value)
		}
	}
	return vc
}
