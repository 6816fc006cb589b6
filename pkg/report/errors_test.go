package report

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

func TestParseFailsClosed(t *testing.T) {
	trivy := readTestdata(t, "trivy/alpine-39.json")
	halfTrivy := trivy[:len(trivy)/2]
	jest := readTestdata(t, "junit/jest-junit.xml")
	cutJest := jest[:len(jest)/2]
	chi := readTestdata(t, "gocover/go-chi.cover")
	chiLines := strings.SplitAfter(string(chi), "\n")
	chiLines[4] = "github.com/go-chi/chi/v5/context.go:14.2,14.11 1\n" // line 5 loses its count
	gotest := strings.SplitAfter(string(readTestdata(t, "gotest-json/go-junit-report-103-subtests.jsonl")), "\n")
	gotest = append(gotest[:6], append([]string{"panic: runtime error\n"}, gotest[6:]...)...) // line 7

	tests := []struct {
		desc    string
		data    []byte
		opts    Options
		format  Format // of the ParseError
		line    int
		wantErr error  // when given, the error must wrap it
		message string // when given, the error must say it
	}{
		{desc: "empty input", data: nil, wantErr: ErrEmpty},
		{desc: "white space only, as a test report", data: []byte(" \n\t\n"), opts: Options{Format: JUnit}, format: JUnit, wantErr: ErrEmpty},
		{desc: "unknown text", data: []byte("hello, world\n"), wantErr: ErrUnknownFormat, message: "hello, world"},
		{desc: "unknown JSON", data: []byte(`{"name": "not a report"}`), wantErr: ErrUnknownFormat},
		{desc: "unknown XML root", data: []byte("<?xml version=\"1.0\"?>\n<html/>"), wantErr: ErrUnknownFormat, message: "<html>"},
		{desc: "a format gate does not read", data: []byte("x"), opts: Options{Format: "spdx-tag-value"}, format: "spdx-tag-value", wantErr: ErrUnknownFormat},
		{
			desc: "truncated Trivy JSON names its last line", data: halfTrivy, opts: Options{Format: Trivy},
			format: Trivy, line: lineAt(halfTrivy, int64(len(halfTrivy))), message: "unexpected end of JSON input",
		},
		{
			desc: "truncated Trivy JSON, format detected, still names the line", data: halfTrivy,
			line: lineAt(halfTrivy, int64(len(halfTrivy))), message: "unexpected end of JSON input",
		},
		{
			desc: "JSON of the wrong type names its line", data: []byte("{\n\"SchemaVersion\": 2,\n\"Results\": {}\n}"),
			format: Trivy, line: 3, message: "Results",
		},
		{desc: "Trivy JSON without SchemaVersion", data: []byte(`{"Results": []}`), opts: Options{Format: Trivy}, format: Trivy, message: "SchemaVersion"},
		{desc: "Trivy schema 1", data: []byte(`{"SchemaVersion": 1, "Results": []}`), format: Trivy, message: "SchemaVersion 1"},
		{
			desc: "Trivy severity gate does not know", format: Trivy, message: `unknown severity "SEVERE"`,
			data: []byte(`{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "SEVERE"}]}]}`),
		},
		{desc: "Grype JSON without matches", data: []byte(`{"descriptor": {}}`), opts: Options{Format: Grype}, format: Grype, message: "no matches"},
		{
			desc: "SARIF run that crashed", data: readTestdata(t, "sarif/sarif-tutorials-catastrophic-execution-error.sarif"),
			format: SARIF, wantErr: ErrScanFailed, message: "CodeScanner",
		},
		{
			desc: "SARIF run with no results array", format: SARIF, message: "no results",
			data: []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}`),
		},
		{desc: "SARIF 2.0.0", data: []byte(`{"version": "2.0.0", "runs": []}`), format: SARIF, message: `"2.0.0"`},
		{
			desc: "SARIF security-severity that is not a number", format: SARIF, message: "security-severity",
			data: []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "R", "properties": {"security-severity": "high"}}]}}, "results": [{"ruleId": "R"}]}]}`),
		},
		{
			desc: "XML with a mismatched end tag names its line", format: JUnit, line: 4, message: "XML syntax error",
			data: []byte("<testsuites>\n<testsuite>\n<testcase name=\"a\">\n</testsuite>\n</testsuites>\n"),
		},
		{desc: "truncated JUnit XML", data: cutJest, format: JUnit, line: lineAt(cutJest, int64(len(cutJest))), message: "unexpected EOF"},
		{
			desc: "JUnit whose root is not a test suite", data: []byte("<?xml version=\"1.0\"?>\n<coverage/>"),
			opts: Options{Format: JUnit}, format: JUnit, line: 2, message: "<coverage>",
		},
		{
			desc: "go test -json of Go < 1.24 holding a plain-text build failure", opts: Options{Format: GoTestJSON},
			data: readTestdata(t, "gotest-json/go-junit-report-102-broken-nonjson.txt"), format: GoTestJSON, line: 1,
			message: "# package/name/broken",
		},
		{
			desc: "go test -json of Go < 1.24 holding a plain-text build failure, format detected",
			data: readTestdata(t, "gotest-json/go-junit-report-102-broken-nonjson.txt"), wantErr: ErrUnknownFormat,
		},
		{desc: "go test -json with a plain-text line among events", data: []byte(strings.Join(gotest, "")), format: GoTestJSON, line: 7, message: "panic: runtime error"},
		{desc: "JSON lines that are not go test events", data: []byte("{\"Action\":\"run\"}\n{}\n"), format: GoTestJSON, line: 2},
		{desc: "Go cover profile with a malformed block", data: []byte(strings.Join(chiLines, "")), format: GoCover, line: 5, message: "statements count"},
		{desc: "Go cover profile without its mode line", data: []byte("a.go:1.1,2.2 1 1\n"), opts: Options{Format: GoCover}, format: GoCover, line: 1, message: "mode"},
		{desc: "Go cover profiles of two modes", data: []byte("mode: set\na.go:1.1,2.2 1 1\nmode: count\n"), format: GoCover, line: 3, message: `"count"`},
		{desc: "LCOV with a malformed DA", data: []byte("TN:\nSF:a.c\nDA:1\nend_of_record\n"), format: LCOV, line: 3, message: "DA"},
		{desc: "LCOV cut short inside a record", data: []byte("SF:a.c\nDA:1,1\nDA:2,0\n"), format: LCOV, line: 3, message: "end_of_record"},
		{desc: "Cobertura with lines-covered beyond lines-valid", data: []byte(`<coverage lines-covered="5" lines-valid="4"/>`), format: Cobertura, line: 1, message: "5/4"},
		{desc: "a stage for a coverage report", data: []byte("mode: set\na.go:1.1,2.2 1 1\n"), opts: Options{Stage: "unit"}, format: GoCover, message: "stage"},
		{desc: "larger than MaxReportSize", data: make([]byte, MaxReportSize+1), wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := Parse("the-report", tt.data, tt.opts)
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

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		desc string
		err  ParseError
		want string
	}{
		{"file and line", ParseError{File: "r.xml", Line: 3, Format: JUnit, Err: errors.New("bad")}, "r.xml:3: parsing junit report: bad"},
		{"no line", ParseError{File: "r.json", Format: Trivy, Err: errors.New("bad")}, "r.json: parsing trivy report: bad"},
		{"no format", ParseError{File: "r", Err: ErrEmpty}, "r: parsing report: empty report"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeCosignVuln(t *testing.T) {
	cosign := func(result []byte) []byte {
		return []byte(`{"invocation": {"uri": "https://ci.example/run/1"},
			"scanner": {"uri": "pkg:github/anchore/grype@v0.80.0", "version": "0.80.0",
				"db": {"uri": "https://grype.anchore.io/databases", "version": "5"}, "result": ` + string(result) + `},
			"metadata": {"scanStartedOn": "2024-05-01T10:00:00Z", "scanFinishedOn": "2024-05-01T10:01:00Z"}}`)
	}
	t.Run("Grype report inside, cosign's scanner and times win", func(t *testing.T) {
		got, err := NormalizeCosignVuln(cosign(readTestdata(t, "grype/image-two-matches.json")))
		if err != nil {
			t.Fatal(err)
		}
		if got.Scanner.URI != "pkg:github/anchore/grype@v0.80.0" || got.Scanner.Version != "0.80.0" || got.Scanner.DB.Version != "5" {
			t.Errorf("Scanner = %+v", got.Scanner)
		}
		if len(got.Scanner.Result) != 2 || got.Scanner.Result[1].Severity[0].Score != "CRITICAL" {
			t.Errorf("Result = %+v", got.Scanner.Result)
		}
		if got.Metadata.ScanFinishedOn.Format("15:04") != "10:01" {
			t.Errorf("Metadata = %+v", got.Metadata)
		}
	})
	t.Run("Trivy report inside, bare cosign scanner", func(t *testing.T) {
		var p map[string]any
		if err := json.Unmarshal(cosign(readTestdata(t, "trivy/gomod.json")), &p); err != nil {
			t.Fatal(err)
		}
		p["scanner"].(map[string]any)["uri"] = ""
		data, _ := json.Marshal(p)
		got, err := NormalizeCosignVuln(data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Scanner.URI != "pkg:github/aquasecurity/trivy" || len(got.Scanner.Result) != 5 {
			t.Errorf("Scanner = %q with %d findings", got.Scanner.URI, len(got.Scanner.Result))
		}
	})
	for _, tt := range []struct {
		desc      string
		predicate []byte
		message   string
	}{
		{"no scanner.result", []byte(`{"scanner": {"uri": "x"}}`), "no scanner.result"},
		{"a test report as scanner.result", cosign([]byte(`{"Action": "pass", "Package": "p"}`)), "not a vulnerability scan"},
		{"a malformed report as scanner.result", cosign([]byte(`{"matches": [{"vulnerability": {"id": 1}}], "descriptor": {}}`)), "scanner.result"},
		{"not JSON", []byte("nope"), "reading cosign vuln predicate"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := NormalizeCosignVuln(tt.predicate)
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %v, want one saying %q", err, tt.message)
			}
		})
	}
}

func TestStageIsRecorded(t *testing.T) {
	r, err := Parse("t.jsonl", []byte(`{"Action":"pass","Package":"p","Test":"TestA"}`+"\n"+`{"Action":"pass","Package":"p"}`), Options{Stage: "integration"})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Predicate.(*attestations.TestResult)
	if got.Configuration[0].Annotations["stage"] != "integration" || got.Result != attestations.ResultPassed {
		t.Errorf("%+v", got)
	}
	if len(got.PassedTests) != 1 || got.PassedTests[0] != "p.TestA" {
		t.Errorf("PassedTests = %q", got.PassedTests)
	}
}
