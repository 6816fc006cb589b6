package gate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/report"
)

// A real Trivy report written in 2021 is a stale scan under a 7-day
// max_age, failing with its age; coverage stamped by gate attest just now
// is fresh, and the same coverage without its stamp has no age to read.
func TestFreshnessStaleScanFails(t *testing.T) {
	h := newHarness(t, true, 1)
	h.write("data.json", []byte(strings.Replace(strings.Replace(testData, "%d", "1", 1), `"max_approval_age"`,
		`"max_age": {"https://in-toto.io/attestation/vulns/v0.2": "168h", "https://gatehq.dev/attestation/coverage/v0.1": "24h"}, "max_approval_age"`, 1)))
	h.reload()
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	d := h.verify(ref)
	if d.Allowed {
		t.Fatal("a scan from 2021 passed a 7-day max_age")
	}
	if passed, reason := gate(t, d, "freshness/vulns"); passed || !strings.Contains(reason, "older than 168h") {
		t.Errorf("freshness/vulns: passed=%v reason=%q; want failed with its age", passed, reason)
	}
	if passed, reason := gate(t, d, "freshness/coverage"); passed || !strings.Contains(reason, "cannot be established") {
		t.Errorf("freshness/coverage without a signed time: passed=%v reason=%q; want failed, saying why", passed, reason)
	}

	r, err := ReadReport(filepath.Join("testdata", "go-chi.cover"), report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Stamp(r.Predicate, time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, r.PredicateType, r.Predicate); err != nil {
		t.Fatal(err)
	}
	if passed, reason := gate(t, h.verify(ref), "freshness/coverage"); !passed {
		t.Errorf("freshness/coverage stamped just now: %q; want passed", reason)
	}
}
