package main

import (
	"fmt"
	"strings"

	"github.com/gatehq/gate/pkg/report"
)

// reportFormats are the formats gate attest reads, with the tools that write them.
var reportFormats = []struct {
	format report.Format
	from   string
}{
	{report.GoTestJSON, "go test -json"},
	{report.JUnit, "JUnit XML: Maven Surefire, pytest, jest-junit, go-junit-report"},
	{report.Trivy, "trivy --format json"},
	{report.Grype, "grype -o json"},
	{report.SARIF, "SARIF 2.1.0 from any scanner"},
	{report.GoCover, "go test -coverprofile"},
	{report.LCOV, "LCOV: lcov, gcovr --lcov, c8"},
	{report.Cobertura, "Cobertura XML: gcovr, coverage.py"},
}

func knownFormat(f string) bool {
	for _, r := range reportFormats {
		if string(r.format) == f {
			return true
		}
	}
	return false
}

func formatNames() string {
	names := make([]string, len(reportFormats))
	for i, r := range reportFormats {
		names[i] = string(r.format)
	}
	return strings.Join(names, ", ")
}

func formatHelp() string {
	var b strings.Builder
	for _, r := range reportFormats {
		fmt.Fprintf(&b, "  %-12s %s\n", r.format, r.from)
	}
	return b.String()
}

// checkCommit refuses an abbreviated commit before anything is signed: the
// provenance records it as a digest, which must be whole.
func checkCommit(c string) error {
	if c == "" {
		return nil // Provenance says it is missing
	}
	if (len(c) == 40 || len(c) == 64) && strings.Trim(strings.ToLower(c), "0123456789abcdef") == "" {
		return nil
	}
	return fmt.Errorf("--commit %q: give the full commit SHA (40 hex digits, or 64 for SHA-256 repositories), as git rev-parse HEAD prints it, not an abbreviation", c)
}
