package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
)

// sarifLog is the part of a SARIF 2.1.0 log gate reads.
type sarifLog struct {
	Version string      `json:"version"`
	Runs    *[]sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver struct {
			Name            string      `json:"name"`
			Version         string      `json:"version"`
			SemanticVersion string      `json:"semanticVersion"`
			InformationURI  string      `json:"informationUri"`
			Rules           []sarifRule `json:"rules"`
		} `json:"driver"`
	} `json:"tool"`
	Invocations []struct {
		ExecutionSuccessful *bool     `json:"executionSuccessful"`
		StartTimeUTC        time.Time `json:"startTimeUtc"`
		EndTimeUTC          time.Time `json:"endTimeUtc"`
	} `json:"invocations"`
	Results *[]sarifResult `json:"results"`
}

type sarifRule struct {
	ID                   string `json:"id"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties struct {
		SecuritySeverity json.RawMessage `json:"security-severity"` // GitHub's convention: a CVSS-like score, as a string
		Tags             []string        `json:"tags"`
	} `json:"properties"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID    string `json:"id"`
		Index *int   `json:"index"`
	} `json:"rule"`
	Kind          string `json:"kind"`
	Level         string `json:"level"`
	BaselineState string `json:"baselineState"`
	Suppressions  []struct {
		Status string `json:"status"`
	} `json:"suppressions"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
}

// levelSeverity ranks SARIF's levels, for results whose rule gives no better
// measure: SARIF says an error is serious, a warning may be, a note is minor.
var levelSeverity = map[string]string{
	"error":   "HIGH",
	"warning": "MEDIUM",
	"note":    "LOW",
	"none":    "NEGLIGIBLE",
}

// parseSARIF reads a SARIF 2.1.0 log from any scanner: each result of each
// run is a finding, identified by its rule id. Its severity is, in order:
//   - from the rule's "security-severity" property, a CVSS score by GitHub's
//     convention (>= 9 CRITICAL, >= 7 HIGH, >= 4 MEDIUM, > 0 LOW, 0 NEGLIGIBLE);
//   - a severity word among the rule's tags, as Trivy writes them;
//   - from its level, or its rule's default level, or SARIF's default
//     "warning", by levelSeverity.
//
// A result is not a finding when a suppression with status "accepted", or
// with no status, hides it (one under review or rejected does not), when its
// kind is "pass" or "notApplicable", or when its baselineState is "absent"
// (it was fixed). A run whose invocation says it did not succeed is
// ErrScanFailed, and one with no results array an error: either would
// otherwise read as clean.
func parseSARIF(data []byte) (*attestations.Vulns, error) {
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, jsonError(data, err)
	}
	if log.Version != "2.1.0" {
		return nil, fmt.Errorf("version %q: gate reads SARIF 2.1.0", log.Version)
	}
	if log.Runs == nil {
		return nil, errors.New("no runs: the tool did not run")
	}
	vulns := &attestations.Vulns{Scanner: attestations.Scanner{Result: []attestations.Vuln{}}}
	for i, run := range *log.Runs {
		driver := run.Tool.Driver
		for _, inv := range run.Invocations {
			if inv.ExecutionSuccessful != nil && !*inv.ExecutionSuccessful {
				return nil, fmt.Errorf("runs[%d] (%s): %w", i, driver.Name, ErrScanFailed)
			}
			vulns.Metadata = widen(vulns.Metadata, inv.StartTimeUTC, inv.EndTimeUTC)
		}
		if run.Results == nil {
			return nil, fmt.Errorf("runs[%d] (%s) has no results array: its analysis did not complete", i, driver.Name)
		}
		if i == 0 {
			vulns.Scanner.URI = or(driver.InformationURI, driver.Name)
			vulns.Scanner.Version = or(driver.Version, driver.SemanticVersion)
		}
		rules := indexRules(driver.Rules)
		for j, r := range *run.Results {
			if !r.counts() {
				continue
			}
			rule := r.rule(driver.Rules, rules)
			normalized, scores, level, err := r.severity(rule)
			if err != nil {
				return nil, fmt.Errorf("runs[%d].results[%d]: %w", i, j, err)
			}
			id := r.RuleID
			if id == "" && r.Rule != nil {
				id = r.Rule.ID
			}
			if id == "" && rule != nil {
				id = rule.ID
			}
			if id == "" {
				return nil, fmt.Errorf("runs[%d].results[%d] has no rule id", i, j)
			}
			notes := map[string]any{"tool": driver.Name, "level": level}
			if len(r.Locations) > 0 {
				at := r.Locations[0].PhysicalLocation
				notes["location"] = at.ArtifactLocation.URI
				if at.Region.StartLine > 0 {
					notes["location"] = fmt.Sprintf("%s:%d", at.ArtifactLocation.URI, at.Region.StartLine)
				}
			}
			if len(r.Suppressions) > 0 { // none accepted, or it would not count
				var statuses []string
				for _, s := range r.Suppressions {
					statuses = append(statuses, s.Status)
				}
				notes["suppressions"] = strings.Join(statuses, ",")
			}
			vulns.Scanner.Result = append(vulns.Scanner.Result, finding(id, normalized, scores, notes))
		}
	}
	return vulns, nil
}

// counts says whether r is a finding.
func (r sarifResult) counts() bool {
	if r.Kind == "pass" || r.Kind == "notApplicable" || r.BaselineState == "absent" {
		return false
	}
	for _, s := range r.Suppressions {
		if s.Status == "" || s.Status == "accepted" {
			return false
		}
	}
	return true
}

// indexRules maps each rule id to the first rule of rules that has it, so
// that finding a result's rule costs the same however many rules there are.
func indexRules(rules []sarifRule) map[string]*sarifRule {
	byID := make(map[string]*sarifRule, len(rules))
	for i := range rules {
		if _, ok := byID[rules[i].ID]; !ok {
			byID[rules[i].ID] = &rules[i]
		}
	}
	return byID
}

// rule is the rule r reports on, by index or else by id (byID indexes
// rules); nil when the driver does not describe it.
func (r sarifResult) rule(rules []sarifRule, byID map[string]*sarifRule) *sarifRule {
	index, id := -1, r.RuleID
	if r.Rule != nil {
		id = or(id, r.Rule.ID)
		if r.Rule.Index != nil {
			index = *r.Rule.Index
		}
	}
	if r.RuleIndex != nil {
		index = *r.RuleIndex
	}
	if index >= 0 && index < len(rules) {
		return &rules[index]
	}
	return byID[id]
}

// severity is r's normalized severity, the scanner's own score when its rule
// gives one, and r's effective level.
func (r sarifResult) severity(rule *sarifRule) (normalized string, scores []attestations.Severity, level string, err error) {
	level = r.Level
	if level == "" && rule != nil {
		level = rule.DefaultConfiguration.Level
	}
	level = or(level, "warning")
	byLevel, ok := levelSeverity[level]
	if !ok {
		return "", nil, "", fmt.Errorf("unknown level %q", level)
	}
	if rule == nil {
		return byLevel, nil, level, nil
	}
	if raw := rule.Properties.SecuritySeverity; len(raw) > 0 && string(raw) != "null" {
		score, err := securitySeverity(raw)
		if err != nil {
			return "", nil, "", fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		normalized, err := cvssSeverity(score)
		if err != nil {
			return "", nil, "", fmt.Errorf("rule %s: security-severity: %w", rule.ID, err)
		}
		scored := attestations.Severity{Method: "security-severity", Score: strconv.FormatFloat(score, 'f', -1, 64)}
		return normalized, []attestations.Severity{scored}, level, nil
	}
	for _, tag := range rule.Properties.Tags {
		if s, err := severity(tag); err == nil && tag != "" {
			return s, nil, level, nil
		}
	}
	return byLevel, nil, level, nil
}

// securitySeverity reads the security-severity property: a string by
// GitHub's convention, though some tools write a number.
func securitySeverity(raw json.RawMessage) (float64, error) {
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	score, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(score) || math.IsInf(score, 0) {
		return 0, fmt.Errorf("security-severity %s is not a number; fix the rule's property, or remove it so that the result's level counts", raw)
	}
	return score, nil
}

// widen stretches m to span the times of one invocation, where it gives them.
func widen(m attestations.ScanMetadata, start, end time.Time) attestations.ScanMetadata {
	if !start.IsZero() && (m.ScanStartedOn.IsZero() || start.Before(m.ScanStartedOn)) {
		m.ScanStartedOn = start
	}
	if !end.IsZero() && end.After(m.ScanFinishedOn) {
		m.ScanFinishedOn = end
	}
	return m
}
