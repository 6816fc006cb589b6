package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

func TestStamp(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 5, time.UTC)
	const commit = "6F1C2E0A9B8D7C6E5F4A3B2C1D0E9F8A7B6C5D4E"
	tr := &attestations.TestResult{Configuration: []attestations.ResourceDescriptor{attestations.TestRun{Stage: "unit"}.Descriptor()}}
	cov := &attestations.Coverage{}
	for _, p := range []any{tr, cov} {
		if err := Stamp(p, at, commit); err != nil {
			t.Fatal(err)
		}
	}
	ann := tr.Configuration[0].Annotations
	if ann["attestedAt"] != "2026-11-22T10:00:00Z" || ann["commit"] != strings.ToLower(commit) {
		t.Errorf("test-run annotations %v: want attestedAt 2026-11-22T10:00:00Z and the commit in lower case", ann)
	}
	if !cov.AttestedAt.Equal(at.Truncate(time.Second)) || cov.Commit != strings.ToLower(commit) {
		t.Errorf("coverage %+v: want attestedAt and the commit", cov)
	}
	if err := Stamp(cov, at, "6f1c2e0"); err == nil || !strings.Contains(err.Error(), "full commit SHA") {
		t.Errorf("an abbreviated commit: got %v, want refused", err)
	}
}
