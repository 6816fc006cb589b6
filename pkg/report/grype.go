package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
)

// grypeReport is the part of Grype's JSON report gate reads.
type grypeReport struct {
	Matches *[]struct {
		Vulnerability struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			CVSS     []struct {
				Version string `json:"version"`
				Metrics struct {
					BaseScore float64 `json:"baseScore"`
				} `json:"metrics"`
			} `json:"cvss"`
			Fix struct {
				Versions []string `json:"versions"`
			} `json:"fix"`
		} `json:"vulnerability"`
		Artifact struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"artifact"`
	} `json:"matches"`
	Descriptor struct {
		Version   string   `json:"version"`
		Timestamp string   `json:"timestamp"`
		DB        *grypeDB `json:"db"`
	} `json:"descriptor"`
}

// grypeDB describes Grype's database: these fields at the top before
// Grype's v6 database, under status since.
type grypeDB struct {
	Built         string          `json:"built"`
	SchemaVersion json.RawMessage `json:"schemaVersion"` // a number before v6, a string since
	From          string          `json:"from"`
	Status        *grypeDB        `json:"status"`
}

// parseGrype reads Grype's JSON report. Grype records one time, when the
// report was written, which stands for both start and end of the scan.
// Matches Grype was told to ignore (ignoredMatches) are not findings.
func parseGrype(data []byte) (*attestations.Vulns, error) {
	var report grypeReport
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, jsonError(data, err)
	}
	if report.Matches == nil {
		return nil, errors.New("no matches: not a Grype JSON report")
	}
	result := []attestations.Vuln{}
	for i, m := range *report.Matches {
		v := m.Vulnerability
		if v.ID == "" {
			return nil, fmt.Errorf("matches[%d] has no vulnerability id", i)
		}
		normalized, err := severity(v.Severity)
		if err != nil {
			return nil, fmt.Errorf("matches[%d] (%s): %w", i, v.ID, err)
		}
		var scores []attestations.Severity
		for _, c := range v.CVSS {
			if strings.HasPrefix(c.Version, "3") && c.Metrics.BaseScore > 0 {
				scores = append(scores, cvssScore(c.Metrics.BaseScore))
				break
			}
		}
		result = append(result, finding(v.ID, normalized, scores, map[string]any{
			"package":          m.Artifact.Name,
			"installedVersion": m.Artifact.Version,
			"fixedVersion":     strings.Join(v.Fix.Versions, ", "),
		}))
	}

	vulns := &attestations.Vulns{Scanner: attestations.Scanner{
		URI:     "pkg:github/anchore/grype",
		Version: report.Descriptor.Version,
		Result:  result,
	}}
	if db := report.Descriptor.DB; db != nil {
		if db.Status != nil {
			db = db.Status
		}
		vulns.Scanner.DB = attestations.ScannerDB{
			URI:        db.From,
			Version:    strings.Trim(string(db.SchemaVersion), `"`),
			LastUpdate: db.Built,
		}
	}
	if ts := report.Descriptor.Timestamp; ts != "" {
		at, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return nil, fmt.Errorf("descriptor.timestamp %q is not an RFC 3339 time", ts)
		}
		vulns.Metadata = attestations.ScanMetadata{ScanStartedOn: at, ScanFinishedOn: at}
	}
	return vulns, nil
}
