package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// The reports were written by vegeta v12.13.0 (testdata/SOURCES.md).
func TestParseVegetaReport(t *testing.T) {
	r, err := Parse("report.json", readTestdata(t, "vegeta/report.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, ok := r.Predicate.(*attestations.LoadTest)
	if !ok || r.Format != Vegeta || r.PredicateType != attestations.LoadTestType {
		t.Fatalf("read as %s %s %T", r.Format, r.PredicateType, r.Predicate)
	}
	if l.Tool != "vegeta" || l.Requests != 250 || l.SuccessRatio != 1 || l.Errors != 0 || l.StatusCodes["200"] != 250 {
		t.Errorf("counts: %+v", l)
	}
	if l.Latency.P99Ms != 44.860159 || l.Latency.P50Ms != 2.323813 || l.Latency.MaxMs != 59.330492 {
		t.Errorf("latencies in ms: %+v", l.Latency)
	}
	if l.DurationSeconds != 4.97849877 || !l.Earliest.Equal(time.Date(2026, 11, 29, 20, 47, 43, 449960058, time.UTC)) {
		t.Errorf("duration %v, earliest %v", l.DurationSeconds, l.Earliest)
	}

	r, err = Parse("refused.json", readTestdata(t, "vegeta/refused-at-start.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l := r.Predicate.(*attestations.LoadTest); l.SuccessRatio != 0.964 || l.Errors != 1 || l.StatusCodes["0"] != 9 {
		t.Errorf("a run with refused connections: %+v", l)
	}
}

func TestParseVegetaFailsClosed(t *testing.T) {
	real := string(readTestdata(t, "vegeta/report.json"))
	pretty := strings.Replace(real, `,"requests"`, ",\n\"requests\"", 1)
	for _, tc := range []struct {
		desc, data string
		line       int
		message    string
	}{
		{"cut short", real[:len(real)/2], 1, "unexpected end of JSON input"},
		{"no requests", strings.Replace(pretty, `"requests":250`, `"requests":0`, 1), 2, "0 requests"},
		{"a success ratio above 1", strings.Replace(real, `"success":1`, `"success":1.5`, 1), 1, "successRatio 1.5"},
		{"latencies out of order", strings.Replace(real, `"99th":44860159`, `"99th":448601590`, 1), 1, "out of order"},
		{"requests twice", strings.Replace(pretty, `"requests":250`, `"requests":250,"Requests":1`, 1), 2, `"Requests"`},
		{"no success key", strings.Replace(real, `"success":1,`, ``, 1), 0, `no "success"`},
		{"a string where a number belongs", strings.Replace(pretty, `"requests":250`, `"requests":"250"`, 1), 2, "requests is a JSON string"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Parse("load.json", []byte(tc.data), Options{Format: Vegeta})
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "load.json" || pe.Line != tc.line || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("Parse = %v; want load.json:%d ... %s", err, tc.line, tc.message)
			}
		})
	}
}
