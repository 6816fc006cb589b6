package attestations

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// LoadTest is gate's load-test predicate: no standard one exists. Its
// schema is loadtest.schema.json; Validate checks the same.
type LoadTest struct {
	// Tool is the load generator that measured: "vegeta".
	Tool     string `json:"tool"`
	Requests int64  `json:"requests"`
	// Rate is the requests sent per second; Throughput the successful
	// responses per second.
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`
	// SuccessRatio is the share of requests that succeeded, from 0 to 1.
	SuccessRatio float64 `json:"successRatio"`
	Latency      Latency `json:"latency"`
	// DurationSeconds is the time over which requests were sent.
	DurationSeconds float64   `json:"durationSeconds"`
	Earliest        time.Time `json:"earliest"`
	Latest          time.Time `json:"latest"`
	// StatusCodes counts responses by HTTP status ("0" for no response).
	StatusCodes map[string]int64 `json:"statusCodes,omitempty"`
	// Errors is how many distinct errors the tool reported.
	Errors int `json:"errors"`
}

// Latency holds response times in milliseconds.
type Latency struct {
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P95Ms  float64 `json:"p95Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// Validate says what is wrong with l: what no real run of a load test could report.
func (l *LoadTest) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if l.Tool == "" {
		bad("no tool")
	}
	if l.Requests <= 0 {
		bad("%d requests: a load test sends some", l.Requests)
	}
	for name, v := range map[string]float64{"rate": l.Rate, "throughput": l.Throughput, "durationSeconds": l.DurationSeconds,
		"latency.meanMs": l.Latency.MeanMs, "latency.p50Ms": l.Latency.P50Ms, "latency.p95Ms": l.Latency.P95Ms,
		"latency.p99Ms": l.Latency.P99Ms, "latency.maxMs": l.Latency.MaxMs} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			bad("%s is %v: it must be a number at or above 0", name, v)
		}
	}
	if !(l.SuccessRatio >= 0 && l.SuccessRatio <= 1) {
		bad("successRatio %v is not between 0 and 1", l.SuccessRatio)
	}
	if !(l.Latency.P50Ms <= l.Latency.P95Ms && l.Latency.P95Ms <= l.Latency.P99Ms && l.Latency.P99Ms <= l.Latency.MaxMs) {
		bad("latencies are out of order: p50 %vms, p95 %vms, p99 %vms, max %vms", l.Latency.P50Ms, l.Latency.P95Ms, l.Latency.P99Ms, l.Latency.MaxMs)
	}
	if l.Earliest.IsZero() || l.Latest.Before(l.Earliest) {
		bad("earliest %s and latest %s are not a time span", l.Earliest.Format(time.RFC3339), l.Latest.Format(time.RFC3339))
	}
	return errors.Join(errs...)
}
