package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// Reports that parse when they should not: each is refused with the file, the
// line where the format has lines, and what to do.
func TestHostileReportsAreRefused(t *testing.T) {
	const maxInt64 = "9223372036854775807"
	trivyCritical := `{"VulnerabilityID": "CVE-1", "Severity": "CRITICAL"}`
	sarifWith := func(severity string) []byte {
		return []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "R", "properties": {"security-severity": ` +
			severity + `}}]}}, "results": [{"ruleId": "R", "level": "error"}]}]}`)
	}
	tests := []struct {
		desc    string
		data    string
		format  Format
		line    int
		wantErr error
		message string
	}{
		{
			desc: "Go cover statement counts that overflow int64", format: GoCover, line: 2, message: "larger than any source tree",
			data: "mode: set\na.go:1.1,2.2 " + maxInt64 + " 1\nb.go:1.1,2.2 " + maxInt64 + " 1\nc.go:1.1,2.2 2 0\n",
		},
		{
			desc: "Go cover statement count of 2^32 + 1", format: GoCover, line: 2, message: "regenerate",
			data: "mode: set\na.go:1.1,2.2 4294967297 1\n",
		},
		{
			desc: "LCOV summaries that overflow int64", format: LCOV, line: 3, message: "larger than any source tree",
			data: "TN:\nSF:a.c\nLF:" + maxInt64 + "\nLH:" + maxInt64 + "\nend_of_record\nSF:b.c\nLF:" + maxInt64 + "\nLH:1\nend_of_record\n",
		},
		{
			desc: "Cobertura totals beyond any source tree", format: Cobertura, line: 1, message: "lines-valid",
			data: `<coverage lines-covered="1" lines-valid="` + maxInt64 + `"/>`,
		},
		{
			desc: "Go cover profile of its mode line alone", format: GoCover, line: 1, wantErr: ErrEmpty, message: "-coverpkg",
			data: "mode: atomic\n",
		},
		{
			desc: "Go cover profile whose blocks hold no statements (found by FuzzGoCover)", format: GoCover, line: 1, wantErr: ErrEmpty,
			message: "blocks hold no statements", data: "mode: set\na.go:1.1,1.2 0 1\na.go:2.1,2.2 0 0\n",
		},
		{
			desc: "LCOV whose records have no lines", format: LCOV, wantErr: ErrEmpty, message: "no lines to cover",
			data: "TN:\nSF:a.c\nLF:0\nLH:0\nend_of_record\n",
		},
		{
			desc: `Cobertura line-rate="1" over no lines`, format: Cobertura, line: 2, wantErr: ErrEmpty, message: "line-rate counts nothing",
			data: "<?xml version=\"1.0\"?>\n<coverage line-rate=\"1\" branch-rate=\"1\" version=\"7.0\">\n<packages/>\n</coverage>\n",
		},
		{
			desc: `Cobertura line-rate="1" with lines-valid="0"`, format: Cobertura, line: 1, wantErr: ErrEmpty,
			data: `<coverage line-rate="1" lines-valid="0" lines-covered="0"/>`,
		},
		{desc: "SARIF security-severity NaN on an error", data: string(sarifWith(`"NaN"`)), format: SARIF, message: "security-severity"},
		{desc: "SARIF security-severity Inf", data: string(sarifWith(`"+Inf"`)), format: SARIF, message: "is not a number"},
		{desc: "SARIF security-severity 1e400", data: string(sarifWith(`1e400`)), format: SARIF, message: "is not a number"},
		{desc: "SARIF security-severity above 10", data: string(sarifWith(`"10.5"`)), format: SARIF, message: "between 0 and 10"},
		{
			desc: "Trivy Results and results: the clean one would win", format: Trivy, line: 3, message: `"results"`,
			data: `{"SchemaVersion": 2,` + "\n" + `"Results": [{"Target": "x", "Vulnerabilities": [` + trivyCritical + `]}],` + "\n" + `"results": []}`,
		},
		{
			desc: "Trivy Results written twice", format: Trivy, line: 2, message: "twice",
			data: `{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [` + trivyCritical + `]}],` + "\n" + `"Results": []}`,
		},
		{
			desc: "Trivy results with a long s, which encoding/json folds to S", format: Trivy, line: 1, message: "differing in case",
			data: `{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [` + trivyCritical + `]}], ` + "\"Re\u017fult\u017f\": []}",
		},
		{
			desc: "Trivy key spelled with an escape", format: Trivy, line: 1, message: "Results",
			data: `{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [` + trivyCritical + `]}], "\u0052esults": []}`,
		},
		{
			desc: "Trivy severity given twice in one finding", format: Trivy, line: 1, message: `"severity"`,
			data: `{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "CRITICAL", "severity": "LOW"}]}]}`,
		},
		{
			desc: "Grype matches and Matches", format: Grype, line: 1, message: `"Matches"`,
			data: `{"matches": [{"vulnerability": {"id": "CVE-1", "severity": "Critical"}}], "Matches": [], "descriptor": {}}`,
		},
		{
			desc: "SARIF results and Results", format: SARIF, line: 1, message: `"Results"`,
			data: `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "R", "level": "error"}], "Results": []}]}`,
		},
		{
			desc: "go test -json event with Action and action", format: GoTestJSON, line: 2, message: `"action"`,
			data: `{"Action":"run","Package":"p","Test":"TestA"}` + "\n" + `{"Action":"fail","Package":"p","Test":"TestA","action":"pass"}` + "\n",
		},
		{desc: "JSON nested past MaxNesting", line: 1, message: "nested deeper",
			data: `{"SchemaVersion": 2, "ArtifactName": "x", "Results": ` + strings.Repeat("[", 100_000)},
		{desc: "JUnit nested past MaxNesting", format: JUnit, line: 2, message: "nested deeper",
			data: "<testsuites>\n" + strings.Repeat("<testsuite>", 100_000)},
		{desc: "Cobertura nested past MaxNesting", format: Cobertura, line: 1, message: "nested deeper",
			data: "<coverage>" + strings.Repeat("<packages>", 100_000)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := Parse("the-report", []byte(tt.data), Options{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %+v, %v; want a *ParseError", r, err)
			}
			if pe.File != "the-report" || pe.Format != tt.format || pe.Line != tt.line {
				t.Errorf("ParseError{File: %q, Format: %q, Line: %d}, want {%q, %q, %d}: %v",
					pe.File, pe.Format, pe.Line, "the-report", tt.format, tt.line, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
		})
	}
}

func TestSameKeyInOtherObjectsIsFine(t *testing.T) {
	data := `{"SchemaVersion": 2, "Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "LOW"}]},
		{"Target": "b", "Vulnerabilities": [{"VulnerabilityID": "CVE-2", "Severity": "HIGH", "CVSS": {"nvd": {"V3Score": 7.5}, "NVD": {"V3Score": 1}}}]}]}`
	// Map keys ("nvd" and "NVD") fold alike too: refused, as a reader
	// decoding into a struct would take one for the other.
	if _, err := Parse("r.json", []byte(data), Options{}); err == nil || !strings.Contains(err.Error(), `"NVD"`) {
		t.Errorf("Parse error = %v, want one naming \"NVD\"", err)
	}
	data = strings.Replace(data, `, "NVD": {"V3Score": 1}`, "", 1)
	r, err := Parse("r.json", []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.Predicate.(*attestations.Vulns).Scanner.Result); got != 2 {
		t.Errorf("%d findings, want 2", got)
	}
}

func TestCosignVulnWithCaseTwinKeysIsRefused(t *testing.T) {
	trivy := readTestdata(t, "trivy/alpine-39.json")
	clean := `{"SchemaVersion": 2, "Results": []}`
	predicate := `{"scanner": {"uri": "x", "result": ` + string(trivy) + `}, "Scanner": {"uri": "x", "result": ` + clean + `}}`
	if v, err := NormalizeCosignVuln([]byte(predicate)); err == nil || !strings.Contains(err.Error(), `"Scanner"`) {
		t.Errorf("NormalizeCosignVuln = %+v, %v; want an error naming \"Scanner\"", v, err)
	}
}

func TestSARIFWithoutInvocationsHasNoScanTimes(t *testing.T) {
	r, err := Parse("x.sarif", []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "scanStartedOn") || strings.Contains(string(out), "0001-01-01") {
		t.Errorf("predicate %s gives scan times the report does not", out)
	}
}

// manyRulesSARIF is a SARIF log of n rules and a result for each, found by
// id alone: with a linear search per result, 3 MB of it took 16 s.
func manyRulesSARIF(n int) []byte {
	var rules, results []string
	for i := range n {
		rules = append(rules, fmt.Sprintf(`{"id": "RULE-%d", "properties": {"security-severity": "%d.5"}}`, i, i%10))
		results = append(results, fmt.Sprintf(`{"ruleId": "RULE-%d", "level": "warning"}`, i))
	}
	return []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [` + strings.Join(rules, ",") +
		`]}}, "results": [` + strings.Join(results, ",") + `]}]}`)
}

func TestSARIFWithManyRulesFindsEachRule(t *testing.T) {
	data := manyRulesSARIF(10_000) // about 1 MB, which took 1.3 s before rules were indexed
	r, err := Parse("big.sarif", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := r.Predicate.(*attestations.Vulns).Scanner.Result
	if len(found) != 10_000 {
		t.Fatalf("%d findings, want 10000", len(found))
	}
	for _, i := range []int{0, 9, 9_999} {
		want := fmt.Sprintf("%d.5", i%10)
		if got := found[i].Severity[1].Score; found[i].ID != fmt.Sprintf("RULE-%d", i) || got != want {
			t.Errorf("finding %d = %s scored %s, want RULE-%d scored %s", i, found[i].ID, got, i, want)
		}
	}
}

// BenchmarkSARIFManyRules parses 3 MB of SARIF, which took 16 s before.
func BenchmarkSARIFManyRules(b *testing.B) {
	data := manyRulesSARIF(30_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("big.sarif", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReadFileRefusesAnOversizedFileBeforeReadingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const size = 500 << 20 // sparse: no disk is used, and reading it would take seconds
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadFile(path, Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != path || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile = %v, want a *ParseError naming %s and wrapping ErrTooLarge", err, path)
	}
	// Only the size the file system gives can say this; a bounded read would
	// stop at MaxReportSize+1 bytes.
	if !strings.Contains(err.Error(), fmt.Sprint(size)) || !strings.Contains(err.Error(), "split the report") {
		t.Errorf("error %q does not give the file's size and what to do", err)
	}
}

func TestReadFileReadsARealReport(t *testing.T) {
	r, err := ReadFile(filepath.Join("testdata", "trivy", "alpine-39.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.Predicate.(*attestations.Vulns).Scanner.Result); got != 6 {
		t.Errorf("%d findings, want 6", got)
	}
}

func BenchmarkGoCoverChi(b *testing.B) {
	data, _ := os.ReadFile("testdata/gocover/go-chi.cover")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("chi.cover", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeepJUnit parses JUnit XML nested 19 million levels deep (about
// 127 MB), which took 3 GiB and 69 s before nesting was bounded.
func BenchmarkDeepJUnit(b *testing.B) {
	const levels = 19_000_000
	data := []byte("<testsuites>" + strings.Repeat("<a>", levels/3) + strings.Repeat("<ab>", levels/3) + strings.Repeat("<abc>", levels/3))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("deep.xml", data, Options{}); !strings.Contains(fmt.Sprint(err), "nested deeper") {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrivyLarge parses a Trivy report of 100 copies of alpine-39's
// findings (2.4 MB), to show the cost of the duplicate-key pass.
func BenchmarkTrivyLarge(b *testing.B) {
	one, err := os.ReadFile("testdata/trivy/alpine-39.json")
	if err != nil {
		b.Fatal(err)
	}
	var report map[string]any
	if err := json.Unmarshal(one, &report); err != nil {
		b.Fatal(err)
	}
	results := report["Results"].([]any)
	for range 99 {
		report["Results"] = append(report["Results"].([]any), results...)
	}
	data, _ := json.MarshalIndent(report, "", "  ")
	b.SetBytes(int64(len(data)))
	b.Run("Parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := Parse("big.json", data, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checkJSONKeys", func(b *testing.B) {
		for b.Loop() {
			if err := checkJSONKeys(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
