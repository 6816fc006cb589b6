package attestations

import "time"

// Severities in descending order, as gate normalizes every scanner's to.
var Severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}

// SeverityMethod is the severity method under which gate records the
// normalized severity (one of Severities) of each vulnerability; the scanner's
// own scores follow it under their own methods.
const SeverityMethod = "gate"

// Vulns is the predicate of https://in-toto.io/attestation/vulns/v0.2.
type Vulns struct {
	Scanner  Scanner      `json:"scanner"`
	Metadata ScanMetadata `json:"metadata"`
}

// Scanner says which scanner and database found Result.
type Scanner struct {
	URI     string    `json:"uri"`
	Version string    `json:"version,omitempty"`
	DB      ScannerDB `json:"db"`
	Result  []Vuln    `json:"result"`
}

// ScannerDB identifies the vulnerability database a scan used.
type ScannerDB struct {
	URI        string `json:"uri,omitempty"`
	Version    string `json:"version,omitempty"`
	LastUpdate string `json:"lastUpdate,omitempty"`
}

// Vuln is one finding. Severity[0] is always gate's normalized severity.
type Vuln struct {
	ID          string           `json:"id"`
	Severity    []Severity       `json:"severity"`
	Annotations []map[string]any `json:"annotations,omitempty"`
}

// Severity is one scoring of a finding.
type Severity struct {
	Method string `json:"method"`
	Score  string `json:"score"`
}

// ScanMetadata says when the scan ran. A time the report does not give is
// left out, not written as the zero time (year 1), which a policy comparing
// scan and build times would read as a very old scan.
type ScanMetadata struct {
	ScanStartedOn  time.Time `json:"scanStartedOn,omitzero"`
	ScanFinishedOn time.Time `json:"scanFinishedOn,omitzero"`
}
