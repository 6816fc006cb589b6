package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// diffCase is an input named for the test, in env.
func diffCase(name, env string, evidence []Evidence) Case {
	in := input(evidence)
	in.Environment = env
	in.Subject = Subject{Digest: "sha256:" + strings.Repeat(name[:1], 64), Reference: "registry.acme.com/" + name + ":1.0"}
	return Case{Source: name, Input: in}
}

func compare(t *testing.T, repo string, cases ...Case) (*Diff, error) {
	t.Helper()
	s, err := NewSnapshot("main")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	layout := DirLayout(filepath.Join(repo, "policies"), "")
	return NewComparison(layout, Revision{Name: "main", Snapshot: s}, Revision{Name: "working tree"}).Run(context.Background(), cases)
}

func TestComparison(t *testing.T) {
	repo := gitRepo(t)
	edit(t, filepath.Join(repo, "policies"), "data/production.json", `"min_coverage": 80`, `"min_coverage": 85`)
	d, err := compare(t, repo,
		diffCase("a-flips", "production", replacing(blessed(t), attestations.CoverageType, coverage(t, 82))),
		diffCase("b-reasons", "production", replacing(blessed(t), attestations.CoverageType, coverage(t, 90))),
		diffCase("c-staging", "staging", replacing(blessed(t), attestations.CoverageType, coverage(t, 62))),
		diffCase("d-same", "production", nil), // no coverage report either way
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Flipped) != 1 || d.Flipped[0].Source != "a-flips" || !d.Flipped[0].Base.Allowed || d.Flipped[0].Head.Allowed {
		t.Fatalf("flipped = %+v, want a-flips, blessed → not blessed", d.Flipped)
	}
	want := GateChange{Name: "coverage", Base: &Gate{Name: "coverage", Passed: true, Reason: "coverage 82% meets 80%"}, Head: &Gate{Name: "coverage", Reason: "coverage 82% is below 85%", Next: "raise coverage to 85% in a new build, or lower `min_coverage` in the production policy data (gate.yaml environments.production.data)"}}
	if g := d.Flipped[0].Gates; len(g) != 1 || g[0].Name != want.Name || *g[0].Base != *want.Base || *g[0].Head != *want.Head {
		t.Errorf("gates of a-flips = %s, want %s", js(g), js(want))
	}
	if len(d.Changed) != 1 || d.Changed[0].Source != "b-reasons" {
		t.Errorf("changed = %s, want b-reasons only", js(d.Changed))
	}
	if d.Decisions != 4 || len(d.Policies) != 2 || d.Policies[0].Environment != "production" || d.Policies[0].Base == d.Policies[0].Head ||
		d.Policies[1].Base != d.Policies[1].Head {
		t.Errorf("decisions %d, policies %s: want 4, production changed and staging not", d.Decisions, js(d.Policies))
	}
	revoked, granted := d.Flips()
	if revoked != 1 || granted != 0 {
		t.Errorf("Flips() = %d, %d; want 1, 0", revoked, granted)
	}
}

func TestComparisonErrorsNameRevisionFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		desc       string
		base, head string // a broken vulns.rego at base, at head, or ""
		want       string
	}{
		{desc: "broken at base", base: "x := }", want: "main: environment production: parsing policy: 2 errors occurred:\nmain:policies/broken.rego:3: rego_parse_error"},
		{desc: "broken at head", head: "x := }", want: "working tree: environment production: parsing policy: "},
		{desc: "strict mode at head", head: "_x if {\n\ty := 1\n}", want: "policies/broken.rego:4: rego_compile_error: assigned var y unused"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			repo := gitRepo(t)
			policies := filepath.Join(repo, "policies")
			if tc.base != "" {
				writeFile(t, policies, "broken.rego", "package gate.blessed\n\n"+tc.base+"\n")
				commit(t, repo, "broken")
				writeFile(t, policies, "broken.rego", "package gate.blessed\n")
			}
			if tc.head != "" {
				writeFile(t, policies, "broken.rego", "package gate.blessed\n\n"+tc.head+"\n")
			}
			_, err := compare(t, repo, diffCase("a", "production", blessed(t)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.head != "" && !strings.Contains(err.Error(), filepath.Join(policies, "broken.rego")) {
				t.Errorf("err = %v, want it to name %s", err, filepath.Join(policies, "broken.rego"))
			}
		})
	}
}

func TestComparisonOfAnUndecidableInput(t *testing.T) {
	repo := gitRepo(t)
	writeFile(t, filepath.Join(repo, "policies"), "conflict.rego", "package gate.blessed\n\n_c := 1\n\n_c := 2 if input.environment == \"production\"\n\ngates contains {\"name\": \"c\", \"passed\": true, \"reason\": sprintf(\"%v\", [_c])}\n")
	d, err := compare(t, repo, diffCase("a", "production", blessed(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Flipped) != 1 || d.Flipped[0].Head.Error == "" || d.Flipped[0].Head.Allowed {
		t.Fatalf("flipped = %s, want a, blessed → could not decide", js(d.Flipped))
	}
}

func TestWriteMarkdown(t *testing.T) {
	d := &Diff{Base: "origin/main", Head: "working tree", Decisions: 3,
		Flipped: []Change{{
			Source: "records.jsonl:7", Image: "registry.acme.com/app:1.4", Digest: "sha256:4f3c", Environment: "production",
			Base: Outcome{Allowed: true}, Head: Outcome{Allowed: false},
			Gates: []GateChange{{Name: "tests/unit", Base: &Gate{Name: "tests/unit", Passed: true, Reason: "unit: 40 tests passed"}, Head: &Gate{Name: "tests/unit", Passed: false, Reason: "unit: 1 of 40 tests failed (Test|Pipe <b>)"}}},
		}},
		Changed: []Change{{
			Source: "records.jsonl:9", Image: "registry.acme.com/app:1.5", Digest: "sha256:5e2d", Environment: "production",
			Gates: []GateChange{{Name: "coverage", Base: &Gate{Name: "coverage", Passed: false, Reason: "coverage 70% is below 80%"}, Head: &Gate{Name: "coverage", Passed: false, Reason: "coverage 70% is below 85%"}}},
		}},
		Policies: []Versions{{"production", "sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("b", 64)}},
	}
	var b bytes.Buffer
	if err := d.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		DiffMarker,
		"**1 of 3 decisions flip**: 1 blessed → not blessed, 0 not blessed → blessed; 1 more changes its reasons only.",
		"#### 🔴 blessed → not blessed: `registry.acme.com/app:1.4` (production)",
		"| **tests/unit** | ✅ unit: 40 tests passed | ❌ unit: 1 of 40 tests failed (Test\\|Pipe &lt;b&gt;) |",
		"<details>\n<summary>1 decision whose reasons change without a flip</summary>",
		"#### not blessed, reasons change: `registry.acme.com/app:1.5`",
		"production `sha256:aaaaaaaaaaaa` → `sha256:bbbbbbbbbbbb`",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
	many := &Diff{Base: "main", Head: "working tree", Decisions: markdownChanges + 3}
	for range markdownChanges + 3 {
		many.Flipped = append(many.Flipped, d.Flipped[0])
	}
	b.Reset()
	_ = many.WriteMarkdown(&b)
	if got := strings.Count(b.String(), "#### "); got != markdownChanges || !strings.Contains(b.String(), "…and 3 more: see `gate policy diff --output json`.") {
		t.Errorf("%d decisions shown of %d, want %d and a pointer to the rest", got, len(many.Flipped), markdownChanges)
	}
	empty := &Diff{Base: "main", Head: "working tree", Decisions: 2}
	b.Reset()
	_ = empty.WriteMarkdown(&b)
	if !strings.Contains(b.String(), "**No decision changes** among 2 decisions.") {
		t.Errorf("markdown of no change:\n%s", b.String())
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
