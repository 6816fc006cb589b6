package report

import "github.com/gatehq/gate/attestations"

// outcome is how one test ended, in rising order of precedence: a JUnit
// testcase that both failed and errored counts once, as errored.
type outcome int

const (
	passed outcome = iota
	skipped
	failed
	errored // the test could not run to a verdict: an exception, a build failure, a crash
)

// tally gathers the outcomes of a test run into a test-result predicate.
type tally struct {
	run            attestations.TestRun
	passed, failed []string
}

func (t *tally) add(name string, o outcome) {
	switch o {
	case passed:
		t.run.Passed++
		t.passed = append(t.passed, name)
	case skipped:
		// A skipped test is counted but listed nowhere: test-result v0.1 has
		// no list for it, and warnedTests means "expressed a warning",
		// which a test that never ran did not do.
		t.run.Skipped++
	case failed:
		t.run.Failed++
		t.failed = append(t.failed, name)
	case errored:
		t.run.Errors++
		t.failed = append(t.failed, name)
	}
	t.run.Total++
}

// predicate is the run's test result: FAILED if any test failed or errored;
// WARNED if none passed, as a run with no tests, or only skipped ones, shows
// nothing works and is for the policy to accept or not; else PASSED.
func (t *tally) predicate(stage string, format Format) *attestations.TestResult {
	t.run.Stage, t.run.Format = stage, string(format)
	result := attestations.ResultPassed
	switch {
	case t.run.Failed+t.run.Errors > 0:
		result = attestations.ResultFailed
	case t.run.Passed == 0:
		result = attestations.ResultWarned
	}
	// Empty lists, not null: strict readers of test-result v0.1 expect arrays.
	return &attestations.TestResult{
		Result:        result,
		Configuration: []attestations.ResourceDescriptor{t.run.Descriptor()},
		PassedTests:   append([]string{}, t.passed...),
		WarnedTests:   []string{},
		FailedTests:   append([]string{}, t.failed...),
	}
}
