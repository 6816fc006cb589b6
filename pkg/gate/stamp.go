package gate

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
)

// Stamp records, inside a report's predicate where its format leaves room,
// when it is attested and, when commit is not "", the source commit it is
// from: in the gate:test-run descriptor of a test result, in the fields of
// gate's coverage predicate. Both are then signed with the rest, so the
// policy can read an age (max_age) and compare commits (same_source_commit)
// from a key-signed bundle, which carries no trusted time of its own. A
// vulnerability scan is left as it is: vulns v0.2 is strict and has its own
// scan times, and a scan is of the image digest it is signed for.
func Stamp(predicate any, at time.Time, commit string) error {
	if err := CheckCommit(commit); err != nil {
		return err
	}
	at, commit = at.UTC().Truncate(time.Second), strings.ToLower(commit)
	switch p := predicate.(type) {
	case *attestations.TestResult:
		for i := range p.Configuration {
			d := &p.Configuration[i]
			if d.Name != attestations.TestRunName {
				continue
			}
			if d.Annotations == nil {
				d.Annotations = map[string]any{}
			}
			d.Annotations["attestedAt"] = at.Format(time.RFC3339)
			if commit != "" {
				d.Annotations["commit"] = commit
			}
		}
	case *attestations.Coverage:
		p.AttestedAt, p.Commit = at, commit
	}
	return nil
}

// CheckCommit refuses what is not a full commit SHA: an abbreviation could
// match another commit, and the policy compares commits as strings.
func CheckCommit(c string) error {
	if c == "" || (len(c) == 40 || len(c) == 64) && strings.Trim(strings.ToLower(c), "0123456789abcdef") == "" {
		return nil
	}
	return fmt.Errorf("--commit %q: give the full commit SHA (40 hex digits, or 64 for SHA-256 repositories), as git rev-parse HEAD prints it, not an abbreviation", c)
}
