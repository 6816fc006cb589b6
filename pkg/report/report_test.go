package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// The facts asserted here are those testdata/SOURCES.md gives for each real report.

func readTestdata(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseTestdata(t *testing.T, file string, opts Options) *Report {
	t.Helper()
	r, err := Parse(file, readTestdata(t, file), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return r
}

func TestDetectRealReports(t *testing.T) {
	byFolder := map[string]Format{
		"gotest-json": GoTestJSON, "junit": JUnit, "trivy": Trivy, "grype": Grype,
		"sarif": SARIF, "gocover": GoCover, "lcov": LCOV, "cobertura": Cobertura,
		"spdx": SPDXJSON, "cyclonedx": CycloneDX, "vegeta": Vegeta,
	}
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if path == filepath.Join("testdata", "fuzz") {
			return filepath.SkipDir // go's fuzz corpus, not reports
		}
		if err != nil || d.IsDir() || filepath.Dir(path) == "testdata" {
			return err
		}
		file, _ := filepath.Rel("testdata", path)
		t.Run(file, func(t *testing.T) {
			got, err := Detect(readTestdata(t, file))
			if strings.Contains(file, "broken-nonjson") {
				// Plain text where go test -json should be: no format may claim it.
				if !errors.Is(err, ErrUnknownFormat) {
					t.Fatalf("Detect = %q, %v; want ErrUnknownFormat", got, err)
				}
				return
			}
			if want := byFolder[filepath.Dir(file)]; got != want || err != nil {
				t.Fatalf("Detect = %q, %v; want %q", got, err, want)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseTestReports(t *testing.T) {
	tests := []struct {
		desc   string
		file   string
		result string
		run    attestations.TestRun // Stage and Format are checked apart
		failed []string             // when given, the failed tests in order
	}{
		{
			desc: "go test -json with subtests: parent and subtests each count",
			file: "gotest-json/go-junit-report-103-subtests.jsonl", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 4, Passed: 2, Failed: 2},
			failed: []string{"package/name/subtest.TestMultiple", "package/name/subtest.TestMultiple/Single"},
		},
		{
			desc: "go test -json with panics, a skip and subtest names holding slashes",
			file: "gotest-json/dorny-golang-subtests.jsonl", result: attestations.ResultFailed,
			run: attestations.TestRun{Total: 12, Passed: 5, Failed: 6, Skipped: 1},
			failed: prefixed("_/home/james_t/git/test-reporter/reports/go.", "TestFailing", "TestPanicInsideFunction",
				"TestPanicInsideTest", "TestCases", "TestCases/2_+_3_=_4", "TestCases/1_/_2_=_1"),
		},
		{
			desc: "Go 1.24 build-fail events: a build failure with no test is an errored entry",
			file: "gotest-json/gotestsum-build-failed-go124.jsonl", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 1, Errors: 1},
			failed: []string{"[build failed] example.com/internal/cacher"},
		},
		{
			desc: "Surefire with a failure and an error, no classname",
			file: "junit/surefire-TEST-com.shape.CircleTest.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 8, Passed: 6, Failed: 1, Errors: 1},
			failed: []string{"testRadius", "testProperties"},
		},
		{
			desc: "Surefire flakyFailure and flakyError on a test that passed in the end",
			file: "junit/surefire-TEST-org.acme.FlakyTest.xml", result: attestations.ResultPassed,
			run: attestations.TestRun{Total: 2, Passed: 2}, failed: []string{},
		},
		{
			desc: "Surefire with zero testcases is WARNED",
			file: "junit/surefire-TEST-classWithNoTests.NoMethodsTestCase.xml", result: attestations.ResultWarned,
			run: attestations.TestRun{}, failed: []string{},
		},
		{
			desc: "pytest header says 15 tests, 10 testcase elements are counted",
			file: "junit/pytest-xunit.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 10, Passed: 6, Failed: 2, Skipped: 2},
			failed: []string{"tests.test_lib.test_always_fail", "tests.test_lib.test_error"},
		},
		{
			desc: "pytest with multi-line failure message",
			file: "junit/pytest-junit.fail.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 5, Passed: 3, Failed: 1, Skipped: 1},
			failed: []string{"test.test_spark.SparkTests.test_rsh_events"},
		},
		{
			desc: "jest-junit",
			file: "junit/jest-junit.xml", result: attestations.ResultFailed,
			run: attestations.TestRun{Total: 6, Passed: 1, Failed: 4, Skipped: 1},
		},
		{
			desc: "jest suites that failed to run are errors though the header says 0 tests",
			file: "junit/jest-junit-suite-failed-to-run.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 2, Errors: 2},
			failed: []string{"Test suite failed to run.libs/foo.spec.ts", "Test suite failed to run.libs/bar.spec.ts"},
		},
		{
			desc: "testsuites nested three deep, testcases at every level",
			file: "junit/nested-testsuite-in-testsuite.xml", result: attestations.ResultPassed,
			run: attestations.TestRun{Total: 5, Passed: 5}, failed: []string{},
		},
		{
			desc: "non-BMP unicode names, every outcome",
			file: "junit/unicode-names.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 7, Passed: 1, Failed: 2, Errors: 2, Skipped: 2},
			failed: []string{"test 4", "test 5", "test 6", "test 7"},
		},
		{
			desc: "go-junit-report names tests as gate names go test -json's",
			file: "junit/go-junit-report-103-subtests.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 4, Passed: 2, Failed: 2},
			failed: []string{"package/name/subtest.TestMultiple", "package/name/subtest.TestMultiple/Single"},
		},
		{
			desc: "go-junit-report build failure pseudo-testcase",
			file: "junit/go-junit-report-102-build-failed.xml", result: attestations.ResultFailed,
			run:    attestations.TestRun{Total: 1, Errors: 1},
			failed: []string{"package/name/broken.[build failed]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := parseTestdata(t, tt.file, Options{Stage: "unit"})
			if r.PredicateType != attestations.TestResultType {
				t.Errorf("PredicateType = %q", r.PredicateType)
			}
			got := r.Predicate.(*attestations.TestResult)
			if got.Result != tt.result {
				t.Errorf("Result = %s, want %s", got.Result, tt.result)
			}
			want := tt.run
			want.Stage, want.Format = "unit", string(r.Format)
			if d := want.Descriptor(); !equalJSON(t, got.Configuration, []attestations.ResourceDescriptor{d}) {
				t.Errorf("Configuration = %+v, want %+v", got.Configuration, d)
			}
			if len(got.PassedTests) != tt.run.Passed || len(got.FailedTests) != tt.run.Failed+tt.run.Errors {
				t.Errorf("%d passed and %d failed names, want %d and %d",
					len(got.PassedTests), len(got.FailedTests), tt.run.Passed, tt.run.Failed+tt.run.Errors)
			}
			if tt.failed != nil && !slices.Equal(got.FailedTests, tt.failed) {
				t.Errorf("FailedTests = %q, want %q", got.FailedTests, tt.failed)
			}
		})
	}
}

func prefixed(prefix string, names ...string) []string {
	for i := range names {
		names[i] = prefix + names[i]
	}
	return names
}

func TestTestResultJSONHasListsNotNulls(t *testing.T) {
	r := parseTestdata(t, "junit/surefire-TEST-classWithNoTests.NoMethodsTestCase.xml", Options{})
	out, err := json.Marshal(r.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"passedTests":[]`, `"warnedTests":[]`, `"failedTests":[]`, `"name":"gate:test-run"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
}

func TestParseGoTestFailsClosed(t *testing.T) {
	tests := []struct {
		desc   string
		events string
		failed []string
	}{
		{
			desc: "a package that fails with every test passed (panic in TestMain, os.Exit)",
			events: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"fail","Package":"p"}`,
			failed: []string{"[package failed] p"},
		},
		{
			desc: "a test that started and never ended, in a stream cut short",
			events: `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
			failed: []string{"p.TestA", "[package failed] p"},
		},
		{
			desc: "a timeout: the test never ends, the package fails",
			events: `{"Action":"run","Package":"p","Test":"TestSlow"}
{"Action":"output","Package":"p","Test":"TestSlow","Output":"panic: test timed out after 10m0s\n"}
{"Action":"fail","Package":"p","Elapsed":600}`,
			failed: []string{"p.TestSlow"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := Parse("events.jsonl", []byte(tt.events), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := r.Predicate.(*attestations.TestResult)
			if got.Result != attestations.ResultFailed || !slices.Equal(got.FailedTests, tt.failed) {
				t.Errorf("Result %s with FailedTests %q, want FAILED with %q", got.Result, got.FailedTests, tt.failed)
			}
		})
	}
}

func TestParseVulnReports(t *testing.T) {
	tests := []struct {
		desc       string
		file       string
		uri        string
		version    string
		severities map[string]int
		first      *attestations.Vuln // when given, the first finding in full
	}{
		{
			desc: "Trivy image scan", file: "trivy/alpine-39.json",
			uri: "pkg:github/aquasecurity/trivy", version: "dev",
			severities: map[string]int{"MEDIUM": 4, "CRITICAL": 2},
			first: &attestations.Vuln{
				ID:       "CVE-2019-1549",
				Severity: []attestations.Severity{{Method: "gate", Score: "MEDIUM"}, {Method: "cvss_score", Score: "5.3"}},
				Annotations: []map[string]any{{
					"package": "libcrypto1.1", "installedVersion": "1.1.1b-r1", "fixedVersion": "1.1.1d-r0",
					"target": "testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)",
				}},
			},
		},
		{
			desc: "Trivy go.mod scan, three targets, UNKNOWN severities", file: "trivy/gomod.json",
			uri: "pkg:github/aquasecurity/trivy", version: "dev",
			severities: map[string]int{"UNKNOWN": 4, "MEDIUM": 1},
		},
		{
			desc: "Trivy with no Results key is clean", file: "trivy/alpine-39-skip-no-results.json",
			uri: "pkg:github/aquasecurity/trivy", version: "dev", severities: map[string]int{},
		},
		{
			desc: "Trivy Result with no Vulnerabilities key is clean", file: "trivy/sl-micro-rancher5.4-no-vulns.json",
			uri: "pkg:github/aquasecurity/trivy", version: "dev", severities: map[string]int{},
		},
		{
			desc: "Grype image scan", file: "grype/image-two-matches.json",
			uri: "pkg:github/anchore/grype", version: "[not provided]",
			severities: map[string]int{"LOW": 1, "CRITICAL": 1},
			first: &attestations.Vuln{
				ID:       "CVE-1999-0001",
				Severity: []attestations.Severity{{Method: "gate", Score: "LOW"}, {Method: "cvss_score", Score: "8.2"}},
				Annotations: []map[string]any{{
					"package": "package-1", "installedVersion": "1.1.1", "fixedVersion": "1.2.1, 2.1.3, 3.4.0",
				}},
			},
		},
		{
			desc: "Grype with no matches is clean", file: "grype/empty.json",
			uri: "pkg:github/anchore/grype", version: "[not provided]", severities: map[string]int{},
		},
		{
			desc: "Trivy SARIF: security-severity 5.3 on every rule", file: "sarif/trivy-alpine-310.sarif",
			uri: "https://github.com/aquasecurity/trivy", version: "dev",
			severities: map[string]int{"MEDIUM": 4},
			first: &attestations.Vuln{
				ID:       "CVE-2019-1549",
				Severity: []attestations.Severity{{Method: "gate", Score: "MEDIUM"}, {Method: "security-severity", Score: "5.3"}},
				Annotations: []map[string]any{{
					"tool": "Trivy", "level": "warning", "location": "testdata/fixtures/images/alpine-310.tar.gz:1",
				}},
			},
		},
		{
			desc: "Grype SARIF: security-severity is the CVSS score, not Grype's severity", file: "sarif/grype-image.sarif",
			uri: "https://github.com/anchore/grype", version: "0.0.0-dev",
			severities: map[string]int{"HIGH": 2},
		},
		{
			desc: "SARIF suppressions: accepted or unqualified hide a result, under review or rejected do not",
			file: "sarif/sarif-tutorials-suppressions.sarif", uri: "SarifSamples", version: "1.0",
			severities: map[string]int{"MEDIUM": 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := parseTestdata(t, tt.file, Options{})
			if r.PredicateType != attestations.VulnsType {
				t.Errorf("PredicateType = %q", r.PredicateType)
			}
			got := r.Predicate.(*attestations.Vulns)
			if got.Scanner.URI != tt.uri || got.Scanner.Version != tt.version {
				t.Errorf("scanner %q %q, want %q %q", got.Scanner.URI, got.Scanner.Version, tt.uri, tt.version)
			}
			if got.Scanner.Result == nil {
				t.Error("Result is nil; an empty list says the scanner found nothing")
			}
			severities := map[string]int{}
			for _, v := range got.Scanner.Result {
				if v.Severity[0].Method != attestations.SeverityMethod {
					t.Errorf("%s: first severity is %+v, not gate's", v.ID, v.Severity[0])
				}
				severities[v.Severity[0].Score]++
			}
			if !equalJSON(t, severities, tt.severities) {
				t.Errorf("severities %v, want %v", severities, tt.severities)
			}
			if tt.first != nil && !equalJSON(t, got.Scanner.Result[0], tt.first) {
				t.Errorf("first finding %+v, want %+v", got.Scanner.Result[0], *tt.first)
			}
		})
	}
}

func TestTrivyScanTime(t *testing.T) {
	got := parseTestdata(t, "trivy/alpine-39.json", Options{}).Predicate.(*attestations.Vulns)
	want := time.Date(2021, 8, 25, 12, 20, 30, 5, time.UTC)
	if !got.Metadata.ScanStartedOn.Equal(want) || !got.Metadata.ScanFinishedOn.Equal(want) {
		t.Errorf("Metadata = %+v, want both %v", got.Metadata, want)
	}
}

func TestParseCoverageReports(t *testing.T) {
	tests := []struct {
		desc string
		file string
		want attestations.Coverage
	}{
		{
			desc: "Go cover profile of go-chi", file: "gocover/go-chi.cover",
			want: attestations.Coverage{Format: "gocover", Unit: "statements", Covered: 969, Total: 1272, Percent: 76.18, Files: 31},
		},
		{
			desc: "gcovr LCOV with checksums on DA lines", file: "lcov/gcovr-nested.lcov",
			want: attestations.Coverage{Format: "lcov", Unit: "lines", Covered: 25, Total: 42, Percent: 59.52, Files: 8,
				BranchesCovered: 4, BranchesTotal: 14},
		},
		{
			desc: "gcovr Cobertura of the same run", file: "cobertura/gcovr-nested.xml",
			want: attestations.Coverage{Format: "cobertura", Unit: "lines", Covered: 25, Total: 42, Percent: 59.52, Files: 8,
				BranchesCovered: 4, BranchesTotal: 14},
		},
		{
			desc: "coverage.py Cobertura with branches", file: "cobertura/coveragepy-y_xml_branch.xml",
			want: attestations.Coverage{Format: "cobertura", Unit: "lines", Covered: 4, Total: 5, Percent: 80, Files: 1,
				BranchesCovered: 1, BranchesTotal: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := parseTestdata(t, tt.file, Options{})
			if r.PredicateType != attestations.CoverageType {
				t.Errorf("PredicateType = %q", r.PredicateType)
			}
			if got := *r.Predicate.(*attestations.Coverage); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCoverageCountedFromLines(t *testing.T) {
	tests := []struct {
		desc   string
		report string
		want   attestations.Coverage
	}{
		{
			desc:   "Go profile merging a block written twice, covered once",
			report: "mode: set\na.go:1.1,2.2 3 0\nb.go:1.1,2.2 1 0\na.go:1.1,2.2 3 1\n",
			want:   attestations.Coverage{Format: "gocover", Unit: "statements", Covered: 3, Total: 4, Percent: 75, Files: 2},
		},
		{
			desc:   "LCOV naming a file in two records, and one with summaries only",
			report: "TN:a\nSF:x.c\nDA:1,0\nDA:2,1\nend_of_record\nTN:b\nSF:x.c\nDA:1,3\nend_of_record\nSF:y.c\nLF:4\nLH:1\nend_of_record\n",
			want:   attestations.Coverage{Format: "lcov", Unit: "lines", Covered: 3, Total: 6, Percent: 50, Files: 2},
		},
		{
			desc: "Cobertura without lines-valid, counting class lines but not method lines",
			report: `<coverage line-rate="0.5"><packages><package><classes><class filename="a.py">
<methods><method><lines><line number="1" hits="1"/></lines></method></methods>
<lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="0"/></lines>
</class></classes></package></packages></coverage>`,
			want: attestations.Coverage{Format: "cobertura", Unit: "lines", Covered: 1, Total: 3, Percent: 33.33, Files: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := Parse("report", []byte(tt.report), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := *r.Predicate.(*attestations.Coverage); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func equalJSON(t *testing.T, got, want any) bool {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(g, w)
}
