package gate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/report"
)

// With same_source_commit, tests and coverage attested with --commit must
// name the commit the provenance names; a mismatch fails with both values.
func TestSameSourceCommit(t *testing.T) {
	const built = "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e" // the harness's provenance
	const other = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		desc, tests, coverage string
		blessed               bool
		reason                string
	}{
		{"one commit", built, built, true, "all name commit 6f1c2e0a9b8d…"},
		{"the tests of another commit", other, built, false, "tests/unit names 0123456789ab…; coverage, provenance names 6f1c2e0a9b8d…"},
		{"coverage naming no commit", built, "", false, "coverage name no commit"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, true, 1)
			h.write("data.json", []byte(strings.Replace(strings.Replace(testData, "%d", "1", 1), `"max_approval_age"`, `"same_source_commit": true, "max_approval_age"`, 1)))
			h.reload()
			ref, _ := h.image("1.0")
			for _, r := range []struct{ file, stage, commit string }{{"unit-pass.jsonl", "unit", tc.tests}, {"go-chi.cover", "", tc.coverage}} {
				rep, err := ReadReport(filepath.Join("testdata", r.file), report.Options{Stage: r.stage})
				if err != nil {
					t.Fatal(err)
				}
				if err := Stamp(rep.Predicate, time.Now(), r.commit); err != nil {
					t.Fatal(err)
				}
				if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, rep.PredicateType, rep.Predicate); err != nil {
					t.Fatal(err)
				}
			}
			h.report(ref, "sl-micro-rancher5.4-no-vulns.json", "")
			h.provenance(ref)
			for _, role := range []string{"module-lead", "qa", "sre"} {
				h.approve(ref, role, role, "GO", time.Now(), time.Hour)
			}
			d := h.verify(ref)
			passed, reason := gate(t, d, "same-source-commit")
			if d.Allowed != tc.blessed || passed != tc.blessed || !strings.Contains(reason, tc.reason) {
				t.Errorf("allowed=%v same-source-commit passed=%v reason=%q; want %v, %q", d.Allowed, passed, reason, tc.blessed, tc.reason)
			}
		})
	}
}
