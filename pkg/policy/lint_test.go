package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyPolicies copies the shipped policy, its tests and its data into a
// temporary directory for a test to break.
func copyPolicies(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, pattern := range []string{"*.rego", "data/*.json"} {
		paths, err := filepath.Glob(filepath.Join(policiesDir, pattern))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no %s in %s: %v", pattern, policiesDir, err)
		}
		for _, p := range paths {
			rel, _ := filepath.Rel(policiesDir, p)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, rel, string(b))
		}
	}
	return dir
}

// edit replaces old, which must be in the file, with new.
func edit(t testing.TB, dir, name, old, new string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", name, old)
	}
	writeFile(t, dir, name, strings.Replace(string(b), old, new, 1))
}

func TestShippedPolicyLintsClean(t *testing.T) {
	problems, err := Lint(context.Background(), policiesDir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Lint(%s) = %v, %v", policiesDir, problems, err)
	}
}

func TestLintNamesFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		break_ func(t *testing.T, dir string)
		want   Problem // Message is a substring
	}{
		{
			desc: "a syntax error",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "coverage.rego", "_coverage_unreadable :=", "_coverage_unreadable := }")
			},
			want: Problem{File: "coverage.rego", Line: 11, Check: CheckSyntax, Message: "unexpected"},
		},
		{
			desc: "unformatted Rego",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "blessed.rego", "default allowed := false", "default allowed:=false")
			},
			want: Problem{File: "blessed.rego", Line: 21, Check: CheckFormat, Message: "gate policy fmt -w"},
		},
		{
			desc: "an unformatted test",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "blessed_test.rego", "import data.gate.blessed\n", "import data.gate.blessed\n\n\n")
			},
			want: Problem{File: "blessed_test.rego", Line: 7, Check: CheckFormat, Message: "first difference at line 7"},
		},
		{
			desc: "strict mode: an unused variable",
			break_: func(t *testing.T, dir string) {
				writeFile(t, dir, "extra.rego", "package gate.blessed\n\n_x if {\n\ty := 1\n}\n")
			},
			want: Problem{File: "extra.rego", Line: 4, Check: CheckCompile, Message: "assigned var y unused"},
		},
		{
			desc: "a builtin gate denies",
			break_: func(t *testing.T, dir string) {
				writeFile(t, dir, "extra.rego", "package gate.blessed\n\n_t := time.now_ns()\n")
			},
			want: Problem{File: "extra.rego", Line: 3, Check: CheckCompile, Message: "time.now_ns"},
		},
		{
			desc: "data with a misspelt key",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "data/production.json", `"min_coverage"`, `"min_coverag"`)
			},
			want: Problem{File: "data/production.json", Line: 3, Check: CheckSchema, Message: "$.min_coverag: Additional property min_coverag is not allowed"},
		},
		{
			desc: "data of the wrong type",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "data/staging.json", `"min_coverage": 60`, `"min_coverage": "60"`)
			},
			want: Problem{File: "data/staging.json", Line: 3, Check: CheckSchema, Message: "$.min_coverage: Invalid type"},
		},
		{
			desc: "data breaking the schema deep down",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "data/production.json", `"sources": ["git+https://github.com/acme/app"]`, `"sources": [`+"\n"+`"git+https://github.com/acme/app", ""]`)
			},
			want: Problem{File: "data/production.json", Line: 8, Check: CheckSchema, Message: "$.provenance.sources[1]"},
		},
		{
			desc: "data that is not JSON",
			break_: func(t *testing.T, dir string) {
				edit(t, dir, "data/staging.json", `"min_coverage": 60,`, `"min_coverage": 60,,`)
			},
			want: Problem{File: "data/staging.json", Line: 3, Check: CheckData, Message: "invalid character ','"},
		},
		{
			desc:   "data with no schema",
			break_: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "data", "schema.json")) },
			want:   Problem{File: "data/schema.json", Check: CheckSchema, Message: "missing"},
		},
		{
			desc: "a rule that would allow on empty input",
			break_: func(t *testing.T, dir string) {
				writeFile(t, dir, "bypass.rego", "package gate.blessed\n\n# Hotfix.\nallowed if not input.evidence\n")
			},
			want: Problem{File: "bypass.rego", Line: 4, Check: CheckFailClosed, Message: "allows an empty input (with no params, data/production.json, data/staging.json)"},
		},
		{
			desc: "a rule that would allow without evidence",
			break_: func(t *testing.T, dir string) {
				writeFile(t, dir, "bypass.rego", "package gate.blessed\n\nallowed if {\n\tcount(input.evidence) == 0\n\tinput.environment == \"staging\"\n}\n")
			},
			want: Problem{File: "bypass.rego", Line: 3, Check: CheckFailClosed, Message: "allows an input with no evidence (with data/staging.json)"},
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := copyPolicies(t)
			tc.break_(t, dir)
			problems, err := Lint(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.File = filepath.Join(dir, want.File)
			for _, p := range problems {
				if p.File == want.File && p.Line == want.Line && p.Check == want.Check && strings.Contains(p.Message, strings.ReplaceAll(want.Message, "data/", dir+"/data/")) {
					return
				}
			}
			t.Errorf("problems:\n%s\nwant one at %s:%d (%s) containing %q", render(problems), want.File, want.Line, want.Check, want.Message)
		})
	}
}

func render(problems []Problem) string {
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestLintWithoutPolicy(t *testing.T) {
	if _, err := Lint(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .rego files") {
		t.Fatalf("err = %v, want no .rego files", err)
	}
}
