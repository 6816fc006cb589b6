package gate.blessed_test

import data.gate.blessed

loadtest_params := {"loadtest": {"max_p99_ms": 250, "min_success_ratio": 0.999, "min_duration_seconds": 60, "max_age": "168h"}}

loadtest(p99, success, seconds, latest) := {
	"predicateType": blessed.loadtest_type,
	"signer": ci,
	"predicate": {
		"tool": "vegeta", "requests": 6000, "rate": 100.02, "throughput": 99.9, "successRatio": success,
		"latency": {"meanMs": 20, "p50Ms": 10, "p95Ms": p99 / 2, "p99Ms": p99, "maxMs": p99 * 2},
		"durationSeconds": seconds, "earliest": "2026-11-21T09:00:00Z", "latest": latest, "errors": 0,
	},
}

loadtest_gate(evidence) := g if {
	some g in decide(loadtest_params, evidence).gates
	g.name == "loadtest"
}

test_loadtest_passes if {
	g := loadtest_gate([loadtest(120.5, 1, 60.01, "2026-11-21T09:01:00Z")])
	g.passed
	g.reason == "load test of 6000 requests at 100/s over 60s: p99 120.5ms, success 100%"
}

test_loadtest_thresholds_fail_with_each_reason if {
	g := loadtest_gate([loadtest(300, 0.99, 30, "2026-11-21T09:01:00Z")])
	not g.passed
	g.reason == "load test: p99 300ms is above 250ms; ran 30s, less than 60s; success 99% is below 99.9%"
	contains(g.next, "max_p99_ms")
}

test_loadtest_missing_fails if {
	g := loadtest_gate([coverage(90)])
	g == {"name": "loadtest", "passed": false, "reason": "no load test", "next": g.next}
	contains(g.next, "vegeta report -type=json")
}

test_loadtest_stale_fails if {
	g := loadtest_gate([loadtest(100, 1, 60, "2026-11-01T10:00:00Z")])
	g.reason == "load test: is 504h old, older than 168h"
}

test_loadtest_newest_run_decides if {
	loadtest_gate([loadtest(900, 0.5, 60, "2026-11-20T09:00:00Z"), loadtest(100, 1, 60, "2026-11-21T09:00:00Z")]).passed
	not loadtest_gate([loadtest(100, 1, 60, "2026-11-20T09:00:00Z"), loadtest(900, 1, 60, "2026-11-21T09:00:00Z")]).passed
}

test_loadtest_fetched_only_when_configured if {
	blessed.predicate_types == {blessed.loadtest_type} with data.gate.params as loadtest_params
	not blessed.loadtest_type in blessed.predicate_types with data.gate.params as production
}

test_loadtest_params_checked if {
	d := decide({"loadtest": {"max_p99_ms": "250ms", "min_success_ratio": 99.9, "min_duration_seconds": 60, "max_age": "a week"}}, [])
	some g in d.gates
	g.name == "params"
	startswith(g.reason, "loadtest must have")
}

test_loadtest_without_numbers_fails if {
	broken := json.patch(loadtest(100, 1, 60, "2026-11-21T09:00:00Z"), [{"op": "remove", "path": "/predicate/latency/p99Ms"}])
	g := loadtest_gate([broken])
	not g.passed
	contains(g.reason, "lacks latency.p99Ms")
}
