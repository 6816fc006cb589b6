package report

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// Fuzz targets, one per parser, each seeded with every testdata file and the
// reports that once parsed when they should not. Plain go test runs the
// seeds; make fuzz runs each target for FUZZTIME. The property beyond "no
// panic": Parse either fails with a *ParseError naming the file, or returns
// a predicate whose numbers are sane.

func seed(f *testing.F) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if path == filepath.Join("testdata", "fuzz") {
			return filepath.SkipDir // go test adds its own corpus
		}
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"mode: set\na.go:1.1,2.2 9223372036854775807 1\nb.go:1.1,2.2 9223372036854775807 1\n",
		"mode: count\n",
		"TN:\nSF:a.c\nLF:9223372036854775807\nLH:9223372036854775807\nend_of_record\n",
		"SF:a.c\nDA:1,1\nBRDA:1,0,0,-\nend_of_record\n",
		`<coverage line-rate="1" branch-rate="1"><packages/></coverage>`,
		`<coverage><packages><package><classes><class filename="a"><lines><line number="1" hits="2"/></lines></class></classes></package></packages></coverage>`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "R", "properties": {"security-severity": "NaN"}}]}}, "results": [{"ruleId": "R", "level": "error"}]}]}`,
		`{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "CRITICAL"}]}], "results": []}`,
		`{"matches": [], "descriptor": {"timestamp": "2024-01-01T00:00:00Z"}}`,
		"{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"T\"}\n{\"Action\":\"pass\",\"Package\":\"p\"}\n",
		"<testsuites><testsuite><testcase name=\"a\"><failure/></testcase></testsuite></testsuites>",
	} {
		f.Add([]byte(s))
	}
}

func fuzzParse(f *testing.F, format Format) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("fuzz.report", data, Options{Format: format})
		checkParsed(t, format, r, err)
	})
}

func FuzzParse(f *testing.F)      { fuzzParse(f, "") } // the format detected
func FuzzGoTestJSON(f *testing.F) { fuzzParse(f, GoTestJSON) }
func FuzzJUnit(f *testing.F)      { fuzzParse(f, JUnit) }
func FuzzTrivy(f *testing.F)      { fuzzParse(f, Trivy) }
func FuzzGrype(f *testing.F)      { fuzzParse(f, Grype) }
func FuzzSARIF(f *testing.F)      { fuzzParse(f, SARIF) }
func FuzzGoCover(f *testing.F)    { fuzzParse(f, GoCover) }
func FuzzLCOV(f *testing.F)       { fuzzParse(f, LCOV) }
func FuzzCobertura(f *testing.F)  { fuzzParse(f, Cobertura) }
func FuzzSPDX(f *testing.F)       { fuzzParse(f, SPDXJSON) }
func FuzzCycloneDX(f *testing.F)  { fuzzParse(f, CycloneDX) }
func FuzzVegeta(f *testing.F)     { fuzzParse(f, Vegeta) }

func FuzzDetect(f *testing.F) {
	seed(f)
	known := []Format{GoTestJSON, JUnit, Trivy, Grype, SARIF, GoCover, LCOV, Cobertura, SPDXJSON, CycloneDX, Vegeta}
	f.Fuzz(func(t *testing.T, data []byte) {
		format, err := Detect(data)
		if err == nil && !slices.Contains(known, format) {
			t.Fatalf("Detect = %q, not a format gate reads", format)
		}
		if err != nil && format != "" {
			t.Fatalf("Detect = %q with error %v", format, err)
		}
	})
}

// FuzzCosignVuln fuzzes the report inside cosign's vuln predicate.
func FuzzCosignVuln(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, result []byte) {
		predicate := append(append([]byte(`{"scanner": {"uri": "x", "result": `), result...), "}}"...)
		v, err := NormalizeCosignVuln(predicate)
		if err == nil {
			checkVulns(t, v)
		}
	})
}

// checkParsed holds Parse to its contract for a report read as format
// (empty: detected).
func checkParsed(t *testing.T, format Format, r *Report, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if r != nil || !errors.As(err, &pe) || pe.File != "fuzz.report" || pe.Line < 0 {
			t.Fatalf("Parse = %v, %v; want a *ParseError naming fuzz.report", r, err)
		}
		return
	}
	if format != "" && r.Format != format {
		t.Fatalf("read as %q, asked for %q", r.Format, format)
	}
	switch p := r.Predicate.(type) {
	case *attestations.TestResult:
		checkTests(t, p)
	case *attestations.Vulns:
		checkVulns(t, p)
	case *attestations.Coverage:
		checkCoverage(t, p)
	case *attestations.LoadTest:
		if err := p.Validate(); err != nil {
			t.Fatalf("load test attested though invalid: %v", err)
		}
	case sbomDocument:
		if _, err := NormalizeSBOM(r.PredicateType, p.raw); err != nil {
			t.Fatalf("SBOM attested that does not normalise: %v", err)
		}
	default:
		t.Fatalf("predicate %T", r.Predicate)
	}
}

func checkTests(t *testing.T, p *attestations.TestResult) {
	t.Helper()
	if len(p.Configuration) != 1 {
		t.Fatalf("%d configuration descriptors, want 1", len(p.Configuration))
	}
	n := func(key string) int {
		v, ok := p.Configuration[0].Annotations[key].(int)
		if !ok || v < 0 {
			t.Fatalf("%s = %v, not a count", key, p.Configuration[0].Annotations[key])
		}
		return v
	}
	total, passed, failed, errs, skipped := n("total"), n("passed"), n("failed"), n("errors"), n("skipped")
	if passed+failed+errs+skipped != total || len(p.PassedTests) != passed || len(p.FailedTests) != failed+errs {
		t.Fatalf("counts disagree: %v, %d passed and %d failed named", p.Configuration[0].Annotations, len(p.PassedTests), len(p.FailedTests))
	}
	want := attestations.ResultPassed
	switch {
	case failed+errs > 0:
		want = attestations.ResultFailed
	case passed == 0:
		want = attestations.ResultWarned
	}
	if p.Result != want {
		t.Fatalf("result %s, want %s for %v", p.Result, want, p.Configuration[0].Annotations)
	}
}

func checkVulns(t *testing.T, v *attestations.Vulns) {
	t.Helper()
	if v.Scanner.Result == nil {
		t.Fatal("scanner.result is null")
	}
	for i, f := range v.Scanner.Result {
		if f.ID == "" || len(f.Severity) == 0 || f.Severity[0].Method != attestations.SeverityMethod ||
			!slices.Contains(attestations.Severities, f.Severity[0].Score) {
			t.Fatalf("finding %d = %+v: want an id and gate's severity first", i, f)
		}
	}
	m := v.Metadata
	if !m.ScanStartedOn.IsZero() && !m.ScanFinishedOn.IsZero() && m.ScanFinishedOn.Before(m.ScanStartedOn) {
		t.Fatalf("scan finished %v before it started %v", m.ScanFinishedOn, m.ScanStartedOn)
	}
}

func checkCoverage(t *testing.T, c *attestations.Coverage) {
	t.Helper()
	if c.Total <= 0 || c.Covered < 0 || c.Covered > c.Total ||
		c.BranchesCovered < 0 || c.BranchesCovered > c.BranchesTotal || c.Files < 0 {
		t.Fatalf("coverage counts not sane: %+v", c)
	}
	if math.IsNaN(c.Percent) || c.Percent < 0 || c.Percent > 100 {
		t.Fatalf("coverage %v%% not within [0, 100]: %+v", c.Percent, c)
	}
}
