package attestations

// Test results, as in-toto's test-result v0.1 predicate defines them.
const (
	ResultPassed = "PASSED"
	ResultWarned = "WARNED"
	ResultFailed = "FAILED"
)

// TestRunName names the configuration descriptor in which gate records what
// test-result v0.1 has no field for: the pipeline stage, the report format and
// the counts. Its proto schema rejects unknown fields, so they cannot go beside
// the standard ones without breaking strict readers.
const TestRunName = "gate:test-run"

// TestResult is the predicate of https://in-toto.io/attestation/test-result/v0.1.
type TestResult struct {
	Result        string               `json:"result"`
	Configuration []ResourceDescriptor `json:"configuration,omitempty"`
	URL           string               `json:"url,omitempty"`
	PassedTests   []string             `json:"passedTests"`
	WarnedTests   []string             `json:"warnedTests"`
	FailedTests   []string             `json:"failedTests"`
}

// ResourceDescriptor is the subset of in-toto's ResourceDescriptor gate writes.
type ResourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// TestRun is what gate records of one test run, in the TestRunName descriptor.
type TestRun struct {
	Stage   string `json:"stage"`
	Format  string `json:"format"`
	Total   int    `json:"total"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Errors  int    `json:"errors"`
	Skipped int    `json:"skipped"`
}

// Descriptor returns run as the configuration descriptor gate writes.
func (run TestRun) Descriptor() ResourceDescriptor {
	return ResourceDescriptor{Name: TestRunName, Annotations: map[string]any{
		"stage": run.Stage, "format": run.Format, "total": run.Total, "passed": run.Passed,
		"failed": run.Failed, "errors": run.Errors, "skipped": run.Skipped,
	}}
}
