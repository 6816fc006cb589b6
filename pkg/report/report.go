package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/gatehq/gate/attestations"
)

// Format names a report format gate reads.
type Format string

// The formats gate reads, by the tool that writes them.
const (
	GoTestJSON Format = "gotest-json" // go test -json
	JUnit      Format = "junit"       // JUnit XML: Maven Surefire, pytest, jest-junit, go-junit-report
	Trivy      Format = "trivy"       // trivy --format json (SchemaVersion 2)
	Grype      Format = "grype"       // grype -o json
	SARIF      Format = "sarif"       // SARIF 2.1.0 from any scanner
	GoCover    Format = "gocover"     // go test -coverprofile
	LCOV       Format = "lcov"        // lcov, gcovr --lcov, c8, ...
	Cobertura  Format = "cobertura"   // Cobertura XML: gcovr, coverage.py, ...
	SPDXJSON   Format = "spdx-json"   // syft -o spdx-json: SPDX 2.3
	CycloneDX  Format = "cyclonedx"   // syft -o cyclonedx-json: CycloneDX 1.5, 1.6, 1.7
	Vegeta     Format = "vegeta"      // vegeta report -type=json
)

// MaxReportSize is the largest report Parse reads. A report is held in
// memory whole, and the largest real ones (go test -json of a monorepo with
// verbose output, Trivy's report of a large image with every description)
// are tens of MiB.
const MaxReportSize = 128 << 20

// Errors callers may branch on; a *ParseError wraps them.
var (
	// ErrUnknownFormat: the format is not one gate reads, or could not be told from the content.
	ErrUnknownFormat = errors.New("unknown report format")
	// ErrEmpty: the report holds nothing but white space.
	ErrEmpty = errors.New("empty report")
	// ErrTooLarge: the report is larger than MaxReportSize.
	ErrTooLarge = errors.New("report too large")
	// ErrScanFailed: the scanner itself says its run did not complete, so its
	// findings, however few, are not a scan of the whole artifact.
	ErrScanFailed = errors.New("the scanner reports that its run failed")
)

// Options says how to read a report. The zero value detects the format.
type Options struct {
	// Format is the report's format; empty means Detect it from the content.
	Format Format
	// Stage is the pipeline stage a test report comes from, such as "unit"
	// or "integration"; it is recorded in the test-run descriptor. Parse
	// refuses it for other reports, as it means the caller took a scan or a
	// coverage report for a test report.
	Stage string
}

// Report is a report read into the predicate gate attests.
type Report struct {
	Format        Format
	PredicateType string
	// Predicate is *attestations.TestResult, *attestations.Vulns,
	// *attestations.Coverage, *attestations.LoadTest, or an SBOM document
	// that encodes to JSON as it was read, as PredicateType says.
	Predicate any
}

// ParseError says which report could not be read, and where.
type ParseError struct {
	File string
	// Line is 1-based; 0 when the format or the fault gives none.
	Line int
	// Format is the format the report was read as; empty when it could not be told.
	Format Format
	Err    error
}

func (e *ParseError) Error() string {
	what := "report"
	if e.Format != "" {
		what = string(e.Format) + " report"
	}
	msg := fmt.Sprintf("parsing %s: %v", what, e.Err)
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	case e.File != "":
		return e.File + ": " + msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	}
	return msg
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads the report data, named name in errors, into the predicate gate
// attests. It fails closed: a report it cannot read wholly and surely is a
// *ParseError, never a clean scan or a passed test run.
func Parse(name string, data []byte, opts Options) (*Report, error) {
	format := opts.Format
	fail := func(err error) (*Report, error) {
		pe, ok := err.(*ParseError)
		if !ok {
			pe = &ParseError{Err: err}
		}
		pe.File, pe.Format = name, format
		return nil, pe
	}
	if len(data) > MaxReportSize {
		return fail(tooLarge(int64(len(data))))
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(ErrEmpty)
	}
	if format == "" {
		detected, err := Detect(data)
		if err != nil {
			if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
				// JSON past MaxNesting or with twin keys is told as such,
				// not as JSON of no known format.
				err = cmp.Or(checkJSONKeys(data), err)
			}
			return fail(err)
		}
		format = detected
	}
	switch format {
	case GoTestJSON, Trivy, Grype, SARIF, SPDXJSON, CycloneDX, Vegeta:
		if err := checkJSONKeys(data); err != nil {
			return fail(err)
		}
	}

	var predicate any
	var err error
	switch format {
	case GoTestJSON:
		predicate, err = parseGoTest(data, opts.Stage)
	case JUnit:
		predicate, err = parseJUnit(data, opts.Stage)
	case Trivy:
		predicate, err = parseTrivy(data)
	case Grype:
		predicate, err = parseGrype(data)
	case SARIF:
		predicate, err = parseSARIF(data)
	case GoCover:
		predicate, err = parseGoCover(data)
	case LCOV:
		predicate, err = parseLCOV(data)
	case Cobertura:
		predicate, err = parseCobertura(data)
	case SPDXJSON:
		predicate, err = parseSPDX(data)
	case CycloneDX:
		predicate, err = parseCycloneDX(data)
	case Vegeta:
		predicate, err = parseVegeta(data)
	default:
		return fail(fmt.Errorf("%w %q", ErrUnknownFormat, format))
	}
	if err != nil {
		return fail(err)
	}
	r := &Report{Format: format, Predicate: predicate}
	switch predicate.(type) {
	case *attestations.TestResult:
		r.PredicateType = attestations.TestResultType
	case *attestations.Vulns:
		r.PredicateType = attestations.VulnsType
	case *attestations.Coverage:
		r.PredicateType = attestations.CoverageType
	case *attestations.LoadTest:
		r.PredicateType = attestations.LoadTestType
	case sbomDocument:
		r.PredicateType = map[Format]string{SPDXJSON: attestations.SPDXType, CycloneDX: attestations.CycloneDXType}[format]
	}
	if opts.Stage != "" && r.PredicateType != attestations.TestResultType {
		return fail(fmt.Errorf("stage %q given for a %s report: stages name test runs only", opts.Stage, format))
	}
	return r, nil
}

var utf8BOM = []byte("\ufeff")

// atLine is a fault at line of the report.
func atLine(line int, format string, args ...any) error {
	return &ParseError{Line: line, Err: fmt.Errorf(format, args...)}
}

// jsonError places a fault of encoding/json in data, which it read whole.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &ParseError{Line: lineAt(data, syntax.Offset), Err: err}
	case errors.As(err, &typ):
		// Its own message names Go types, which mean nothing to whoever wrote the report.
		msg := fmt.Errorf("%s is a JSON %s, where %s belongs", or(typ.Field, "the document"), typ.Value, jsonKind(typ.Type))
		return &ParseError{Line: lineAt(data, typ.Offset), Err: msg}
	}
	return err
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a number"
}

// xmlError places a fault of dec, which reads data.
func xmlError(dec *xml.Decoder, err error) error {
	var syntax *xml.SyntaxError
	if errors.As(err, &syntax) {
		return &ParseError{Line: syntax.Line, Err: fmt.Errorf("XML syntax error: %s", syntax.Msg)}
	}
	line, _ := dec.InputPos()
	return &ParseError{Line: line, Err: err}
}

// tooDeep is the fault of XML that nests past MaxNesting, at dec's place.
func tooDeep(dec *xml.Decoder) error {
	line, _ := dec.InputPos()
	return atLine(line, "elements nested deeper than %d levels: no report of a real tool does; regenerate it with the tool", MaxNesting)
}

// lineAt is the 1-based line of data holding byte offset.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

// percent is covered out of total, in percent rounded to 2 decimals; 0 when
// there is nothing to cover, so that a minimum-coverage gate does not pass
// on an empty report.
func percent(covered, total int) float64 {
	if total == 0 {
		return 0
	}
	return math.Round(float64(covered)*10000/float64(total)) / 100
}
