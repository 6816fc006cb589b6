// Package report turns the reports that test runners, vulnerability scanners and coverage tools write into gate's predicates.
package report
