package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehq/gate/attestations"
)

// trivyReport is the part of Trivy's JSON report (SchemaVersion 2) gate reads.
type trivyReport struct {
	SchemaVersion *int
	CreatedAt     time.Time
	Trivy         struct{ Version string }
	Results       []struct {
		Target          string
		Vulnerabilities []struct {
			VulnerabilityID  string
			PkgName          string
			InstalledVersion string
			FixedVersion     string
			Severity         string
			CVSS             map[string]struct{ V3Score float64 }
		}
	}
}

// parseTrivy reads Trivy's JSON report. No Results (nothing to scan) and a
// Result with no Vulnerabilities are clean. Trivy records only when the
// report was written, CreatedAt, which stands for both start and end of the
// scan; older reports have none, and leave both zero.
func parseTrivy(data []byte) (*attestations.Vulns, error) {
	var report trivyReport
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, jsonError(data, err)
	}
	switch {
	case report.SchemaVersion == nil:
		return nil, errors.New("no SchemaVersion: not a Trivy JSON report")
	case *report.SchemaVersion != 2:
		return nil, fmt.Errorf("SchemaVersion %d: gate reads Trivy's schema 2", *report.SchemaVersion)
	}
	result := []attestations.Vuln{}
	for i, r := range report.Results {
		for j, v := range r.Vulnerabilities {
			if v.VulnerabilityID == "" {
				return nil, fmt.Errorf("Results[%d].Vulnerabilities[%d] has no VulnerabilityID", i, j)
			}
			normalized, err := severity(v.Severity)
			if err != nil {
				return nil, fmt.Errorf("Results[%d].Vulnerabilities[%d] (%s): %w", i, j, v.VulnerabilityID, err)
			}
			var scores []attestations.Severity
			if nvd := v.CVSS["nvd"]; nvd.V3Score > 0 {
				scores = append(scores, cvssScore(nvd.V3Score))
			}
			result = append(result, finding(v.VulnerabilityID, normalized, scores, map[string]any{
				"package":          v.PkgName,
				"installedVersion": v.InstalledVersion,
				"fixedVersion":     v.FixedVersion,
				"target":           r.Target,
			}))
		}
	}
	return &attestations.Vulns{
		Scanner: attestations.Scanner{
			URI:     "pkg:github/aquasecurity/trivy",
			Version: report.Trivy.Version,
			Result:  result,
		},
		Metadata: attestations.ScanMetadata{ScanStartedOn: report.CreatedAt, ScanFinishedOn: report.CreatedAt},
	}, nil
}
