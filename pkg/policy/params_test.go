package policy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

func TestLoadParams(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		desc, content, wantErr string
	}{
		{desc: "an object", content: `{"min_coverage": 80, "approvals": {"qa": 1}}`},
		{desc: "a syntax error", content: "{\n  \"min_coverage\": 80,\n  \"deny_severity\": HIGH\n}\n", wantErr: "p.json:3:20: invalid character 'H'"},
		{desc: "an array", content: "\n[1]", wantErr: "p.json:2:1: json: cannot unmarshal array"},
		{desc: "null", content: "null", wantErr: "p.json: not a JSON object"},
		{desc: "empty", content: "", wantErr: "p.json:1:1: unexpected end"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			writeFile(t, dir, "p.json", tc.content)
			params, err := LoadParams(filepath.Join(dir, "p.json"))
			if tc.wantErr == "" {
				if err != nil || params["min_coverage"] != 80.0 {
					t.Fatalf("LoadParams = %v, %v", params, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if _, err := LoadParams(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("err = %v, want it to name the missing file", err)
	}
}

// TestShippedParamsMatchSchema checks each environment's params, and some
// that must be refused, against policies/data/schema.json with OPA's own
// JSON Schema validator.
func TestShippedParamsMatchSchema(t *testing.T) {
	schema := readJSON(t, filepath.Join(policiesDir, "data", "schema.json"))
	match, err := rego.New(rego.Query("[ok, errors] := json.match_schema(input.doc, input.schema)")).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc string
		doc  any
		want bool
	}{
		{"production.json", readJSON(t, filepath.Join(policiesDir, "data", "production.json")), true},
		{"staging.json", readJSON(t, filepath.Join(policiesDir, "data", "staging.json")), true},
		{"empty", map[string]any{}, true},
		{"unknown severity", map[string]any{"deny_severity": "SEVERE"}, false},
		{"approvals without max age", map[string]any{"approvals": map[string]any{"qa": 1}}, false},
		{"zero approvers", map[string]any{"approvals": map[string]any{"qa": 0}, "max_approval_age": "24h"}, false},
		{"bad duration", map[string]any{"max_approval_age": "a week"}, false},
		{"misspelt key", map[string]any{"min_coverag": 80}, false},
		{"provenance without sources", map[string]any{"provenance": map[string]any{"builders": []any{"https://b"}}}, false},
		{"SBOM, load-test and required-predicate params", map[string]any{
			"require_sbom": true, "deny_licenses": []any{"GPL-3.0-only"},
			"deny_packages":       []any{map[string]any{"purl": "pkg:golang/golang.org/x/net", "versions": ">=0.1.0, <0.23.0"}, map[string]any{"purl": "pkg:npm/left-pad"}},
			"loadtest":            map[string]any{"max_p99_ms": 250, "min_success_ratio": 0.999, "min_duration_seconds": 60, "max_age": "168h"},
			"required_predicates": []any{"https://example.com/checklist/v1"},
		}, true},
		{"deny_packages purl with a version", map[string]any{"deny_packages": []any{map[string]any{"purl": "pkg:npm/left-pad@1.0.0"}}}, false},
		{"deny_packages range that is no comparison", map[string]any{"deny_packages": []any{map[string]any{"purl": "pkg:npm/left-pad", "versions": "~1.0"}}}, false},
		{"loadtest success as a percent", map[string]any{"loadtest": map[string]any{"max_p99_ms": 250, "min_success_ratio": 99.9, "min_duration_seconds": 60, "max_age": "168h"}}, false},
		{"required predicate by kind", map[string]any{"required_predicates": []any{"checklist"}}, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			rs, err := match.Eval(context.Background(), rego.EvalInput(map[string]any{"doc": tc.doc, "schema": schema}))
			if err != nil || len(rs) != 1 {
				t.Fatalf("matching schema: %v, %v", rs, err)
			}
			if ok := rs[0].Bindings["ok"]; ok != tc.want {
				t.Errorf("valid = %v, want %v: %v", ok, tc.want, rs[0].Bindings["errors"])
			}
		})
	}
}

func readJSON(t testing.TB, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
