package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// An sre GO counts only when it carries every checklist item the data
// requires of sre; the one that lacks an item is named with the way to add it.
func TestChecklistMissingItemDoesNotCount(t *testing.T) {
	h := newHarness(t, true, 1)
	h.write("data.json", []byte(strings.Replace(strings.Replace(testData, "%d", "1", 1), `"max_approval_age"`, `"required_checks": {"sre": ["dr-plan", "on-call"]}, "max_approval_age"`, 1)))
	h.reload()
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa")
	approve := func(items ...string) {
		a := Approval{Role: "sre", Decision: attestations.DecisionGo, Reason: "ready", Expires: time.Hour}
		for _, i := range items {
			c, err := ParseCheck(i + "=https://wiki.example/" + i)
			if err != nil {
				t.Fatal(err)
			}
			a.Checklist = append(a.Checklist, c)
		}
		if _, err := Approve(context.Background(), h.client, h.signers["sre"], ref, a, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	approve("dr-plan")
	d := h.verify(ref)
	if d.Allowed {
		t.Fatal("a GO missing checklist item on-call blessed the image")
	}
	for _, g := range d.Gates {
		if g.Name == "approval/sre" {
			if g.Passed || !strings.Contains(g.Reason, "missing checklist item on-call") || !strings.Contains(g.Next, "--check on-call=URL") {
				t.Fatalf("approval/sre: %+v; want failed, naming on-call and how to add it", g)
			}
		}
	}
	time.Sleep(time.Second) // approvedAt has second precision; the later GO must be later
	approve("dr-plan", "on-call")
	if d := h.verify(ref); !d.Allowed {
		t.Fatalf("a GO with every checklist item: want blessed, got %+v", d.Gates)
	}
}

func TestParseCheck(t *testing.T) {
	for _, tc := range []struct{ desc, in, want string }{
		{"an item and an https link", "dr-plan=https://wiki.example/dr", ""},
		{"no link", "dr-plan", "want ITEM=URL"},
		{"an http link", "dr-plan=http://wiki.example/dr", "not an https URL"},
		{"an item with a space", "dr plan=https://wiki.example/dr", "lower-case"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := ParseCheck(tc.in)
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCheck(%q) = %v, want %q", tc.in, err, tc.want)
			}
		})
	}
}
