package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"github.com/gatehq/gate/attestations"
)

// parseJUnit reads JUnit XML as the tools that write it differ: a root
// <testsuites> or <testsuite>, suites nested to any depth, testcases at any
// level. It counts <testcase> elements and never trusts the suites' tests,
// failures or errors attributes, which real reports contradict (a pytest one
// says 15 tests over 10 testcases, a Surefire one 1 over 2).
//
// A testcase's outcome comes from its own children, error before failure
// before skipped; with none it passed. Surefire's flakyFailure and flakyError
// record failed attempts of a test whose last attempt passed, so it passed;
// a test that failed every attempt has a <failure> or <error> of its own.
// A test is named classname.name, or name alone when there is no classname.
func parseJUnit(data []byte, stage string) (*attestations.TestResult, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var (
		t        tally
		depth    int // of the element last opened
		caseAt   int // depth of the open testcase; 0 when none is open
		caseName string
		caseEnd  outcome
		rootSeen bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlError(dec, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > MaxNesting {
				return nil, tooDeep(dec)
			}
			switch {
			case depth == 1:
				rootSeen = true
				if el.Name.Local != "testsuites" && el.Name.Local != "testsuite" {
					line, _ := dec.InputPos()
					return nil, atLine(line, "root element is <%s>, not <testsuites> or <testsuite>", el.Name.Local)
				}
			case caseAt > 0:
				if depth == caseAt+1 {
					caseEnd = max(caseEnd, childOutcome(el.Name.Local))
				}
			case el.Name.Local == "testcase":
				caseAt, caseName, caseEnd = depth, testName(el), passed
			}
		case xml.EndElement:
			if depth == caseAt {
				t.add(caseName, caseEnd)
				caseAt = 0
			}
			depth--
		}
	}
	if !rootSeen {
		return nil, errors.New("no <testsuites> or <testsuite> element")
	}
	return t.predicate(stage, JUnit), nil
}

func childOutcome(element string) outcome {
	switch element {
	case "error":
		return errored
	case "failure":
		return failed
	case "skipped":
		return skipped
	}
	return passed // system-out, properties, flakyFailure, rerunFailure, ...
}

func testName(testcase xml.StartElement) string {
	a := attrs(testcase)
	if a["classname"] == "" {
		return a["name"]
	}
	return a["classname"] + "." + a["name"]
}
