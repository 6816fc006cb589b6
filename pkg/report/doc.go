// Package report turns the reports that test runners, vulnerability scanners, coverage tools, SBOM generators and load generators write into gate's predicates.
package report
