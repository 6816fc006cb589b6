package policy

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/rego"
)

// decode reads a Decision from the result of decisionQuery, refusing
// anything but exactly the documented shape.
func decode(rs rego.ResultSet) (Decision, error) {
	if len(rs) == 0 {
		return Decision{}, ErrUndefined
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("%w: %d results", ErrMalformed, len(rs))
	}
	obj, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return Decision{}, fmt.Errorf("%w: a %T, not an object", ErrMalformed, rs[0].Expressions[0].Value)
	}
	allowed, ok := obj["allowed"].(bool)
	if !ok {
		return Decision{}, fmt.Errorf("%w: allowed is not a boolean", ErrMalformed)
	}
	list, ok := obj["gates"].([]any)
	if !ok {
		return Decision{}, fmt.Errorf("%w: gates is not an array", ErrMalformed)
	}
	d := Decision{Allowed: allowed, Gates: make([]Gate, 0, len(list))}
	for i, v := range list {
		g, err := decodeGate(v)
		if err != nil {
			return Decision{}, fmt.Errorf("%w: gate %d: %v", ErrMalformed, i, err)
		}
		d.Gates = append(d.Gates, g)
	}
	// The policy states the rule; this restates it so that a policy bug
	// cannot admit what no passed gate vouches for.
	if d.Allowed && len(d.Gates) == 0 {
		return Decision{}, fmt.Errorf("%w: allowed without any gate", ErrMalformed)
	}
	for _, g := range d.Gates {
		if d.Allowed && !g.Passed {
			return Decision{}, fmt.Errorf("%w: allowed although gate %s failed", ErrMalformed, g.Name)
		}
	}
	return d, nil
}

func decodeGate(v any) (Gate, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Gate{}, fmt.Errorf("a %T, not an object", v)
	}
	var g Gate
	if g.Name, ok = obj["name"].(string); !ok || g.Name == "" {
		return Gate{}, fmt.Errorf("name is not a non-empty string")
	}
	if g.Passed, ok = obj["passed"].(bool); !ok {
		return Gate{}, fmt.Errorf("%s: passed is not a boolean", g.Name)
	}
	if g.Reason, ok = obj["reason"].(string); !ok {
		return Gate{}, fmt.Errorf("%s: reason is not a string", g.Name)
	}
	if next, present := obj["next"]; present {
		if g.Next, ok = next.(string); !ok {
			return Gate{}, fmt.Errorf("%s: next is not a string", g.Name)
		}
	}
	return g, nil
}
