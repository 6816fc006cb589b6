package attestations

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
)

func sampleLoadTest() LoadTest {
	at := time.Date(2026, 11, 29, 20, 47, 43, 0, time.UTC)
	return LoadTest{
		Tool: "vegeta", Requests: 250, Rate: 50.2, Throughput: 50.1, SuccessRatio: 1,
		Latency:         Latency{MeanMs: 7.9, P50Ms: 2.3, P95Ms: 37, P99Ms: 44.9, MaxMs: 59.3},
		DurationSeconds: 4.98, Earliest: at, Latest: at.Add(4980 * time.Millisecond),
		StatusCodes: map[string]int64{"200": 250},
	}
}

// The predicate as gate encodes it matches its published schema.
func TestLoadTestMatchesItsSchema(t *testing.T) {
	schema, err := os.ReadFile("loadtest.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s any
	if err := json.Unmarshal(schema, &s); err != nil {
		t.Fatal(err)
	}
	l := sampleLoadTest()
	raw, _ := json.Marshal(l)
	var doc any
	_ = json.Unmarshal(raw, &doc)
	rs, err := rego.New(rego.Query("[ok, errors] := json.match_schema(input.doc, input.schema)"),
		rego.Input(map[string]any{"doc": doc, "schema": s})).Eval(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Bindings["ok"] != true {
		t.Fatalf("%s does not match the schema: %v %v", raw, rs, err)
	}
}

func TestLoadTestValidate(t *testing.T) {
	if l := sampleLoadTest(); l.Validate() != nil {
		t.Fatalf("a real run: %v", l.Validate())
	}
	for _, tc := range []struct {
		desc, want string
		break_     func(*LoadTest)
	}{
		{"no requests", "0 requests", func(l *LoadTest) { l.Requests = 0 }},
		{"success above 1", "successRatio 1.5", func(l *LoadTest) { l.SuccessRatio = 1.5 }},
		{"p99 above max", "out of order", func(l *LoadTest) { l.Latency.P99Ms = 100 }},
		{"negative rate", "rate is -1", func(l *LoadTest) { l.Rate = -1 }},
		{"latest before earliest", "not a time span", func(l *LoadTest) { l.Latest = l.Earliest.Add(-time.Second) }},
		{"no tool", "no tool", func(l *LoadTest) { l.Tool = "" }},
	} {
		l := sampleLoadTest()
		tc.break_(&l)
		if err := l.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.desc, err, tc.want)
		}
	}
}
