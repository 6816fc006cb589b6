package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehq/gate/attestations"
)

// severity is a scanner's severity word as one of attestations.Severities.
// A finding with no severity is UNKNOWN, but a word gate does not know is an
// error: guessing could rank a grave finding below the policy's threshold.
func severity(word string) (string, error) {
	if word == "" {
		return "UNKNOWN", nil
	}
	if s := strings.ToUpper(word); slices.Contains(attestations.Severities, s) {
		return s, nil
	}
	return "", fmt.Errorf("unknown severity %q", word)
}

// cvssSeverity ranks a CVSS base score as CVSS v3 does.
func cvssSeverity(score float64) (string, error) {
	switch {
	case !(score >= 0 && score <= 10): // NaN too
		return "", fmt.Errorf("CVSS score %v is not between 0 and 10", score)
	case score >= 9:
		return "CRITICAL", nil
	case score >= 7:
		return "HIGH", nil
	case score >= 4:
		return "MEDIUM", nil
	case score > 0:
		return "LOW", nil
	}
	return "NEGLIGIBLE", nil
}

// finding is one vulnerability: gate's severity first, then the scanner's
// own scores, with the notes that are not empty as its annotation.
func finding(id, normalized string, scores []attestations.Severity, notes map[string]any) attestations.Vuln {
	v := attestations.Vuln{
		ID:       id,
		Severity: append([]attestations.Severity{{Method: attestations.SeverityMethod, Score: normalized}}, scores...),
	}
	for k, n := range notes {
		if n == "" {
			delete(notes, k)
		}
	}
	if len(notes) > 0 {
		v.Annotations = []map[string]any{notes}
	}
	return v
}

// cvssScore is a CVSS base score as the in-toto vulns example records it.
func cvssScore(score float64) attestations.Severity {
	return attestations.Severity{Method: "cvss_score", Score: strconv.FormatFloat(score, 'f', -1, 64)}
}

// NormalizeCosignVuln reads the predicate `cosign attest --type vuln` signs
// (https://cosign.sigstore.dev/attestation/vuln/v1), whose scanner.result is
// a scanner's whole report, into the in-toto vulns v0.2 predicate. The report
// is read as Parse reads it, failing as closed; the scanner and metadata the
// cosign predicate names, where set, override those the report gives.
func NormalizeCosignVuln(predicate []byte) (*attestations.Vulns, error) {
	if len(predicate) > MaxReportSize {
		return nil, fmt.Errorf("%w: cosign vuln predicate of %d bytes, at most %d", ErrTooLarge, len(predicate), MaxReportSize)
	}
	var cosign struct {
		Scanner struct {
			URI     string `json:"uri"`
			Version string `json:"version"`
			DB      struct{ URI, Version string }
			Result  json.RawMessage `json:"result"`
		} `json:"scanner"`
		Metadata attestations.ScanMetadata `json:"metadata"`
	}
	if err := checkJSONKeys(predicate); err != nil {
		return nil, fmt.Errorf("reading cosign vuln predicate: %w", err)
	}
	if err := json.Unmarshal(predicate, &cosign); err != nil {
		return nil, fmt.Errorf("reading cosign vuln predicate: %w", err)
	}
	if len(cosign.Scanner.Result) == 0 || string(cosign.Scanner.Result) == "null" {
		return nil, errors.New("reading cosign vuln predicate: no scanner.result")
	}
	r, err := Parse("scanner.result", cosign.Scanner.Result, Options{})
	if err != nil {
		return nil, fmt.Errorf("reading cosign vuln predicate: %w", err)
	}
	vulns, ok := r.Predicate.(*attestations.Vulns)
	if !ok {
		return nil, fmt.Errorf("reading cosign vuln predicate: scanner.result is a %s report, not a vulnerability scan", r.Format)
	}
	s := cosign.Scanner
	vulns.Scanner.URI = or(s.URI, vulns.Scanner.URI)
	vulns.Scanner.Version = or(s.Version, vulns.Scanner.Version)
	vulns.Scanner.DB.URI = or(s.DB.URI, vulns.Scanner.DB.URI)
	vulns.Scanner.DB.Version = or(s.DB.Version, vulns.Scanner.DB.Version)
	if !cosign.Metadata.ScanStartedOn.IsZero() {
		vulns.Metadata.ScanStartedOn = cosign.Metadata.ScanStartedOn
	}
	if !cosign.Metadata.ScanFinishedOn.IsZero() {
		vulns.Metadata.ScanFinishedOn = cosign.Metadata.ScanFinishedOn
	}
	return vulns, nil
}
