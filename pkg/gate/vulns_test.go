package gate

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// cosignVuln is the predicate `cosign attest --type vuln` writes: the
// scanner's own report, whole, under scanner.result.
func cosignVuln(t *testing.T, report string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var result map[string]any
	if err := json.Unmarshal(raw, &result); err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"invocation": map[string]any{"uri": "", "event_id": "", "builder.id": ""},
		"scanner":    map[string]any{"uri": "pkg:github/aquasecurity/trivy@dev", "version": "dev", "db": map[string]any{}, "result": result},
		"metadata":   map[string]any{"scanStartedOn": "2026-11-22T10:00:00Z", "scanFinishedOn": "2026-11-22T10:01:00Z"},
	}
}

func TestCosignVulnScanCountsAndWaiversApply(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	// Everything but gate's own scan; cosign's vuln predicate with Trivy's report of alpine 3.9 instead.
	h.evidenceButScan(ref)
	if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, attestations.CosignVulnType, cosignVuln(t, "testdata/alpine-39.json")); err != nil {
		t.Fatal(err)
	}
	d := h.verify(ref)
	passed, reason := gate(t, d, "vulnerabilities")
	if passed || d.Allowed || !strings.Contains(reason, "CVE-2019-14697") {
		t.Fatalf("alpine 3.9's CRITICAL musl finding: vulnerabilities passed=%v (%s), allowed=%v", passed, reason, d.Allowed)
	}
	if strings.Contains(reason, "CVE-2019-1549") {
		t.Errorf("a MEDIUM finding was reported as blocking with deny_severity HIGH: %s", reason)
	}

	// sre accepts the finding in a new GO, which waives it.
	a := Approval{Role: "sre", Decision: attestations.DecisionGo, Reason: "musl fix not reachable", Expires: time.Hour, Waivers: []string{"CVE-2019-14697"}}
	if _, err := Approve(context.Background(), h.client, h.signers["sre"], ref, a, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if d := h.verify(ref); !d.Allowed {
		t.Fatalf("with the finding waived: want blessed, got %+v", d.Gates)
	}
}
