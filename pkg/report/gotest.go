package report

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/gatehq/gate/attestations"
)

// goTestEvent is one line of go test -json: cmd/test2json's TestEvent, with
// the ImportPath and FailedBuild that Go 1.24 added for build failures.
type goTestEvent struct {
	Action      string
	Package     string
	Test        string
	ImportPath  string
	FailedBuild string
}

type goTest struct {
	name, pkg string
	action    string // pass, fail or skip; empty while the test has not ended
}

// parseGoTest reads go test -json. Every line must be an event: go test
// writes build errors before Go 1.24 as plain text, and a stream holding them
// must not read as a run with no failures.
//
// A test is named "<package>.<test>", subtests included
// ("example.com/pkg.TestX/case_1"), as go-junit-report names them, so that a
// run reads the same from either format. Besides the tests' own verdicts, a
// package that failed with no failed test (a build failure, a panic or
// os.Exit outside any test, a timeout) or that never ended (the stream was cut)
// gets an errored entry "[build failed] <package>" or "[package failed] <package>".
func parseGoTest(data []byte, stage string) (*attestations.TestResult, error) {
	var (
		tests        []goTest
		running      = map[string]int{} // index in tests of each test that started and has not ended
		packages     []string           // in order of their first event
		seen         = map[string]bool{}
		ended        = map[string]goTestEvent{} // the last pass, fail or skip event of each package
		failedBuilds []string                   // ImportPaths of build-fail events
		lineNo       int
	)
	for line := range bytes.Lines(data) {
		lineNo++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var ev goTestEvent
		if err := json.Unmarshal(line, &ev); err != nil || ev.Action == "" {
			return nil, atLine(lineNo, "not a go test -json event: %q", clip(line))
		}
		if ev.Package != "" && !seen[ev.Package] {
			seen[ev.Package] = true
			packages = append(packages, ev.Package)
		}
		switch {
		case ev.Action == "build-fail":
			failedBuilds = append(failedBuilds, ev.ImportPath)
		case ev.Test != "":
			name := ev.Package + "." + ev.Test
			switch ev.Action {
			case "run":
				if _, ok := running[name]; !ok {
					running[name] = len(tests)
					tests = append(tests, goTest{name: name, pkg: ev.Package})
				}
			case "pass", "fail", "skip":
				i, ok := running[name]
				if !ok {
					i = len(tests)
					tests = append(tests, goTest{name: name, pkg: ev.Package})
				}
				tests[i].action = ev.Action
				delete(running, name)
			}
		case ev.Package != "":
			switch ev.Action {
			case "pass", "fail", "skip":
				ended[ev.Package] = ev
			}
		}
	}
	if len(packages) == 0 && len(failedBuilds) == 0 {
		return nil, errors.New("no package events: not the output of go test -json")
	}

	var t tally
	failing := map[string]bool{} // packages with a failed test
	for _, test := range tests {
		switch test.action {
		case "pass":
			t.add(test.name, passed)
		case "skip":
			t.add(test.name, skipped)
		default: // failed, or started and never ended: the test binary died under it
			t.add(test.name, failed)
			failing[test.pkg] = true
		}
	}
	reported := map[string]bool{} // failed builds named by a package's end
	for _, pkg := range packages {
		end, ok := ended[pkg]
		switch {
		case ok && end.FailedBuild != "":
			t.add("[build failed] "+pkg, errored)
			reported[end.FailedBuild] = true
		case !ok, end.Action == "fail" && !failing[pkg]:
			t.add("[package failed] "+pkg, errored)
		}
	}
	for _, build := range failedBuilds {
		if !reported[build] {
			t.add("[build failed] "+build, errored)
			reported[build] = true
		}
	}
	return t.predicate(stage, GoTestJSON), nil
}
