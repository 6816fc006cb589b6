package chatops

import (
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/release"
)

// A frozen environment is said first, its reason escaped, and rollback targets are marked.
func TestTextShowsAFreeze(t *testing.T) {
	tbl := &release.Table{
		Repository: "reg.example/shop",
		Freezes:    []release.Freeze{{Environment: "production", Role: "sre", Reason: "<!channel>", Description: `production is frozen by sre since 2026-11-29 14:02 UTC: "<!channel>"`}},
		Rows: []release.Row{{Digest: "sha256:0123456789abcdef", Reference: "reg.example/shop@sha256:0123456789abcdef",
			Verdicts: []release.Verdict{{Environment: "production", Blessed: true, Rollback: true}}}},
	}
	for name, got := range map[string]string{"status": statusText(tbl), "blessed": blessedText(tbl, "production")} {
		if !strings.Contains(got, "production is frozen by sre since 2026-11-29 14:02 UTC") || strings.Contains(got, "<!channel>") {
			t.Errorf("%s: the freeze is not said, or its reason is not escaped:\n%s", name, got)
		}
	}
	if got := statusText(tbl); !strings.Contains(got, "*BLESSED* (rollback target") {
		t.Errorf("status: the rollback target is not marked:\n%s", got)
	}
}
