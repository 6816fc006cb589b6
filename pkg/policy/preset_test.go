package policy

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// TestPresetsOnlyRulesWithoutInput names, on a policy made for it, which
// rules Load presets: those whose value follows from the params alone, and no
// rule that reads the input, even through a function or another rule.
func TestPresetsOnlyRulesWithoutInput(t *testing.T) {
	files := map[string][]byte{"p.rego": []byte(`package gate.blessed

predicate_types := set()

decision := {"allowed": false, "gates": []}

from_params := data.gate.params.k

from_rule := from_params + 1

keys contains k if some k, _ in data.gate.params

from_input := input.x

through_rule := from_input

_f(x) := x + count(input.evidence)

through_function := _f(1)

through_set contains x if some x in input.evidence

with_input := x if x := from_input with input.x as 1

undefined_from_params := 1 if data.gate.params.k == 2

false_from_params := data.gate.params.k == 2

nested.a := 1

nested.b := input.x
`)}
	p, err := Compile(context.Background(), "test", files, map[string]any{"k": 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range p.presets {
		got = append(got, fmt.Sprintf("%v=%v", x.ref, x.value))
	}
	slices.Sort(got)
	want := []string{
		"data.gate.blessed.decision={\"allowed\": false, \"gates\": []}",
		"data.gate.blessed.false_from_params=false",
		"data.gate.blessed.from_params=1",
		"data.gate.blessed.from_rule=2",
		`data.gate.blessed.keys={"k"}`,
		"data.gate.blessed.nested.a=1",
		"data.gate.blessed.predicate_types=set()",
	}
	if !slices.Equal(got, want) {
		t.Errorf("presets:\n got %q\nwant %q", got, want)
	}
}

// TestPresetsDecideAlike evaluates the shipped policy with and without its
// presets, for each environment and inputs that pass and fail each gate:
// presetting must not change a decision, its reasons or its next steps.
func TestPresetsDecideAlike(t *testing.T) {
	all := blessed(t)
	inputs := map[string][]Evidence{"none": nil, "blessed": all}
	for i := range all {
		inputs[fmt.Sprintf("without %d", i)] = slices.Delete(slices.Clone(all), i, i+1)
	}
	inputs["nogo and failing tests"] = append(slices.Clone(all),
		approval(t, "qa@acme.com", "qa", attestations.DecisionNoGo, "flaky"),
		testResult(t, "unit", attestations.ResultFailed, 40, 3))
	for _, env := range []string{"production", "staging"} {
		p := load(t, env)
		if len(p.presets) == 0 {
			t.Fatalf("%s: no rule preset", env)
		}
		plain := *p
		plain.presets = nil
		for name, evidence := range inputs {
			want, err := plain.Evaluate(context.Background(), input(evidence))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Evaluate(context.Background(), input(evidence))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s: with presets %+v\nwithout %+v", env, name, got, want)
			}
		}
	}
}
