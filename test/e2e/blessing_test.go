package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/report"
)

// A pipeline that signs with cosign alone, gate's predicates written to files and cosign's own
// vuln predicate around a Trivy report, gets an image blessed by `gate verify`: every gate of
// the policy passes on evidence only cosign wrote, on the registry without the referrers API.
func TestCosignWrittenEvidenceAloneBlessesAnImage(t *testing.T) {
	requireE2E(t)
	for _, cli := range []cosignCLI{cosignV2(t), cosignV3(t)} {
		t.Run(cli.name, func(t *testing.T) {
			w := newWorld(t)
			r := startDistribution(t, "")
			image := pushImage(t, r.host, "team/app", nil).String()
			keys, pubs := map[string]string{}, map[string][]string{}
			for _, role := range []string{"ci", "module-lead", "qa", "sre"} {
				key, pub := w.cosignKey(cli, role)
				keys[role], pubs[role] = key, []string{pub}
			}
			cfg := w.trustConfig(pubs)
			evidence := []struct{ role, predicateType, file string }{
				{"ci", attestations.TestResultType, w.write("tests.json", reportPredicate(t, unitReport, "unit"))},
				{"ci", attestations.CoverageType, w.write("coverage.json", reportPredicate(t, coverageReport, ""))},
				{"ci", "vuln", w.write("vuln.json", cosignVulnPredicate(t))},
				{"ci", attestations.ProvenanceType, w.write("provenance.json", provenancePredicate(t))},
				{"module-lead", attestations.ApprovalType, w.write("module-lead.json", approvalPredicate(t, "module-lead", image))},
				{"qa", attestations.ApprovalType, w.write("qa.json", approvalPredicate(t, "qa", image))},
				{"sre", attestations.ApprovalType, w.write("sre.json", approvalPredicate(t, "sre", image))},
			}
			for _, e := range evidence {
				if res := w.cosignAttest(cli, keys[e.role], e.predicateType, e.file, image); res.code != 0 {
					t.Fatalf("cosign attest:\n%s", res)
				}
			}
			d, res := w.verify(cfg, image)
			if !d.Allowed || res.code != 0 {
				t.Fatalf("want blessed on cosign's evidence:\n%s", res)
			}
			if len(d.Evidence) != len(evidence) || len(d.Rejected) != 0 {
				t.Errorf("want %d verified and 0 rejected, got %d and %d\n%s", len(evidence), len(d.Evidence), len(d.Rejected), res)
			}
			if passed, reason := gatePassed(d, "vulnerabilities"); !passed || !strings.Contains(reason, "1 scan") {
				t.Errorf("the vulnerabilities gate must pass on cosign's vuln attestation: %s", reason)
			}
		})
	}
}

// reportPredicate is the predicate gate would attest for a tool's report.
func reportPredicate(t *testing.T, file, stage string) []byte {
	t.Helper()
	r, err := gate.ReadReport(file, report.Options{Stage: stage})
	if err != nil {
		t.Fatal(err)
	}
	return predicateJSON(t, r.PredicateType, r.Predicate)
}

func provenancePredicate(t *testing.T) []byte {
	t.Helper()
	p, err := attestations.Provenance(attestations.Build{BuilderID: "https://ci.example/builder", BuildType: "https://ci.example/type", Source: "git+https://git.example/app", Commit: "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"})
	if err != nil {
		t.Fatal(err)
	}
	return predicateJSON(t, attestations.ProvenanceType, p)
}

// predicateJSON encodes a predicate exactly as gate puts it in a statement.
func predicateJSON(t *testing.T, predicateType string, p any) []byte {
	t.Helper()
	st, err := attestations.Statement("x", "sha256:"+strings.Repeat("0", 64), predicateType, p)
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Predicate json.RawMessage }
	if err := json.Unmarshal(st, &s); err != nil {
		t.Fatal(err)
	}
	return s.Predicate
}

// cosignVulnPredicate is what `cosign attest --type vuln` takes: cosign's vuln predicate with
// the scanner's own report (here a real Trivy report) as scanner.result.
func cosignVulnPredicate(t *testing.T) []byte {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(map[string]any{
		"scanner":  map[string]any{"uri": "pkg:github/aquasecurity/trivy", "version": "0.52.0", "result": json.RawMessage(readFile(t, trivyReport))},
		"metadata": map[string]any{"scanStartedOn": now.Add(-time.Minute), "scanFinishedOn": now},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
