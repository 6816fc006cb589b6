package policy

import (
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestInputValueIsItsJSON: the AST value a policy reads is the input's JSON
// document, field for field, as a policy author reads it in README.md.
func TestInputValueIsItsJSON(t *testing.T) {
	in := benchInput(t)
	in.Evidence = append(in.Evidence, Evidence{PredicateType: "https://example.com/none", Signer: Signer{Role: "ci"}})
	got, err := in.value()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// Signer.Name is omitted from the JSON when empty; the policy always sees it.
	for _, e := range doc.(map[string]any)["evidence"].([]any) {
		s := e.(map[string]any)["signer"].(map[string]any)
		if _, ok := s["name"]; !ok {
			s["name"] = ""
		}
	}
	want, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Compare(want) != 0 {
		t.Errorf("input value\n%v\nwant\n%v", got, want)
	}
}
