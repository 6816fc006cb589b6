package policy

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// TestPresetsOnlyRulesWithoutInput names, on a policy made for it, which
// rules a decision leaves preset for the next: those whose value follows from
// the params alone, and no rule that reads the input, even through a function
// or another rule.
func TestPresetsOnlyRulesWithoutInput(t *testing.T) {
	files := map[string][]byte{"p.rego": []byte(`package gate.blessed

predicate_types := set()

decision := {"allowed": false, "gates": [from_rule, keys, from_input, through_rule, through_function, through_set, with_input, undefined_from_params, false_from_params, nested]}

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
	var refs []string
	for _, r := range p.presetRefs {
		refs = append(refs, r.String())
	}
	slices.Sort(refs)
	want := []string{
		"data.gate.blessed.false_from_params",
		"data.gate.blessed.from_params",
		"data.gate.blessed.from_rule",
		"data.gate.blessed.keys",
		"data.gate.blessed.nested.a",
		"data.gate.blessed.predicate_types",
		"data.gate.blessed.undefined_from_params",
	}
	if !slices.Equal(refs, want) {
		t.Errorf("rules preset:\n got %q\nwant %q", refs, want)
	}

	if p.presets.Load() != nil {
		t.Fatal("presets before any decision")
	}
	// The decision is malformed (its gates are not objects): only a
	// decision that succeeded leaves presets.
	if _, err := p.Evaluate(context.Background(), Input{Now: now}); err == nil {
		t.Fatal("a malformed decision evaluated")
	}
	if p.presets.Load() != nil {
		t.Fatal("a decision that failed left presets")
	}
}

// TestPresetsHarvested checks that decisions leave the values of the shipped
// policy's rules that do not read the input for the next: a decision on no
// evidence, which never asks for the approvals' maximum age, some; a later
// one on all the evidence, the rest.
func TestPresetsHarvested(t *testing.T) {
	p := load(t, "production")
	if _, err := p.Evaluate(context.Background(), input(nil)); err != nil {
		t.Fatal(err)
	}
	first := len(*p.presets.Load())
	for _, x := range *p.presets.Load() {
		if x.ref.String() == "data.gate.blessed._max_age_ns" {
			t.Fatalf("_max_age_ns preset by a decision on no evidence")
		}
	}
	if _, err := p.Evaluate(context.Background(), input(blessed(t))); err != nil {
		t.Fatal(err)
	}
	if n := len(*p.presets.Load()); n <= first {
		t.Errorf("%d presets after a decision on all the evidence, %d before", n, first)
	}
	got := map[string]string{}
	for _, x := range *p.presets.Load() {
		got[x.ref.String()] = x.value.String()
	}
	for ref, want := range map[string]string{
		"data.gate.blessed._param_problems": "set()",
		"data.gate.blessed._unknown_kind":   "9",
		"data.gate.blessed._max_age_ns":     "604800000000000",
	} {
		if got[ref] != want {
			t.Errorf("%s preset as %q, want %q", ref, got[ref], want)
		}
	}
	for ref := range got {
		if ref == "data.gate.blessed.gates" || ref == "data.gate.blessed.decision" || ref == "data.gate.blessed._latest" {
			t.Errorf("%s, which reads the input, is preset", ref)
		}
	}
}

// TestPresetsDecideAlike evaluates the shipped policy with presets (from a
// first decision on other input) and without (a fresh policy's first
// decision), for each environment and inputs that pass and fail each gate,
// concurrently: presetting must not change a decision, its reasons or its
// next steps.
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
		if _, err := p.Evaluate(context.Background(), input(nil)); err != nil {
			t.Fatal(err)
		}
		if pre := p.presets.Load(); pre == nil || len(*pre) == 0 {
			t.Fatalf("%s: no rule preset", env)
		}
		var wg sync.WaitGroup
		for name, evidence := range inputs {
			want, err := load(t, env).Evaluate(context.Background(), input(evidence))
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				got, err := p.Evaluate(context.Background(), input(evidence))
				if err != nil {
					t.Error(err)
				} else if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %s: with presets %+v\nwithout %+v", env, name, got, want)
				}
			})
		}
		wg.Wait()
	}
}
