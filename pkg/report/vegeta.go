package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehq/gate/attestations"
)

// vegetaMetrics is vegeta v12's Metrics as `vegeta report -type=json`
// writes it: durations in nanoseconds.
type vegetaMetrics struct {
	Latencies *struct {
		Mean int64 `json:"mean"`
		P50  int64 `json:"50th"`
		P95  int64 `json:"95th"`
		P99  int64 `json:"99th"`
		Max  int64 `json:"max"`
	} `json:"latencies"`
	Earliest    time.Time        `json:"earliest"`
	Latest      time.Time        `json:"latest"`
	Duration    int64            `json:"duration"`
	Requests    *int64           `json:"requests"`
	Rate        float64          `json:"rate"`
	Throughput  float64          `json:"throughput"`
	Success     *float64         `json:"success"`
	StatusCodes map[string]int64 `json:"status_codes"`
	Errors      []string         `json:"errors"`
}

func parseVegeta(data []byte) (any, error) {
	var m vegetaMetrics
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, jsonError(data, err)
	}
	for _, key := range []string{"latencies", "requests", "success"} {
		if missing := map[string]bool{"latencies": m.Latencies == nil, "requests": m.Requests == nil, "success": m.Success == nil}[key]; missing {
			return nil, fmt.Errorf("no %q: not a whole vegeta report", key)
		}
	}
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	l := &attestations.LoadTest{
		Tool: "vegeta", Requests: *m.Requests, Rate: m.Rate, Throughput: m.Throughput, SuccessRatio: *m.Success,
		Latency: attestations.Latency{
			MeanMs: ms(m.Latencies.Mean), P50Ms: ms(m.Latencies.P50), P95Ms: ms(m.Latencies.P95),
			P99Ms: ms(m.Latencies.P99), MaxMs: ms(m.Latencies.Max),
		},
		DurationSeconds: time.Duration(m.Duration).Seconds(),
		Earliest:        m.Earliest.UTC(), Latest: m.Latest.UTC(),
		StatusCodes: m.StatusCodes, Errors: len(m.Errors),
	}
	if err := l.Validate(); err != nil {
		// The key at fault, where one alone is: a report of one line is line 1.
		key := "latencies"
		switch {
		case l.Requests <= 0:
			key = "requests"
		case !(l.SuccessRatio >= 0 && l.SuccessRatio <= 1):
			key = "success"
		case l.Earliest.IsZero() || l.Latest.Before(l.Earliest):
			key = "latest"
		}
		return nil, atLine(keyLine(data, key), "not a report of a real vegeta run: %v", err)
	}
	return l, nil
}
