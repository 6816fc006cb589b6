package gate.blessed

# The load-test gate: the newest load test (gate's own predicate, from
# vegeta's JSON report) must meet the thresholds in params.loadtest. Its age
# is taken from the signed predicate's "latest" (when the last request was
# sent), not from when it was attested.

loadtest_type := "https://gatehq.dev/attestation/loadtest/v0.1"

_known_params contains "loadtest"

predicate_types contains loadtest_type if _configured("loadtest")

_loadtests := [l | some l in _predicates(loadtest_type); is_string(l.latest)]

# The newest run decides: an earlier failed run superseded by a passing one
# is history, not a blocker.
_loadtest := l if {
	newest := max([time.parse_rfc3339_ns(x.latest) | some x in _loadtests])
	some l in _loadtests
	time.parse_rfc3339_ns(l.latest) == newest
}

gates contains {
	"name": "loadtest",
	"passed": count(problems) == 0,
	"reason": _loadtest_reason(problems),
	"next": _loadtest_next(problems),
} if {
	_configured("loadtest")
	problems := _loadtest_problems
}

_loadtest_problems contains "no load test" if count(_loadtests) == 0

# A predicate missing a number the thresholds need fails, rather than
# passing every comparison it is not part of.
_loadtest_problems contains "the newest load test lacks latency.p99Ms, successRatio or durationSeconds as numbers" if {
	count(_loadtests) > 0
	not _loadtest_readable
}

_loadtest_readable if {
	is_number(_loadtest.latency.p99Ms)
	is_number(_loadtest.successRatio)
	is_number(_loadtest.durationSeconds)
	is_number(_loadtest.requests)
}

_loadtest_problems contains sprintf("p99 %vms is above %vms", [_loadtest.latency.p99Ms, params.loadtest.max_p99_ms]) if {
	not _loadtest.latency.p99Ms <= params.loadtest.max_p99_ms
}

_loadtest_problems contains sprintf("success %v%% is below %v%%", [_loadtest.successRatio * 100, params.loadtest.min_success_ratio * 100]) if {
	not _loadtest.successRatio >= params.loadtest.min_success_ratio
}

_loadtest_problems contains sprintf("ran %vs, less than %vs", [round(_loadtest.durationSeconds), params.loadtest.min_duration_seconds]) if {
	not _loadtest.durationSeconds >= params.loadtest.min_duration_seconds
}

_loadtest_problems contains sprintf("is %s old, older than %s", [_age(_loadtest.latest), params.loadtest.max_age]) if {
	_now - time.parse_rfc3339_ns(_loadtest.latest) > time.parse_duration_ns(params.loadtest.max_age)
}

_age(t) := sprintf("%vh", [round((_now - time.parse_rfc3339_ns(t)) / 3600e9)])

_loadtest_reason(problems) := "no load test" if "no load test" in problems

else := sprintf("load test: %s", [concat("; ", sort(problems))]) if count(problems) > 0

else := sprintf("load test of %s at %v/s over %vs: p99 %vms, success %v%%", [
	_plural(_loadtest.requests, "request"), round(_loadtest.rate), round(_loadtest.durationSeconds),
	_loadtest.latency.p99Ms, _loadtest.successRatio * 100,
])

_loadtest_next(problems) := "run vegeta against the release (vegeta attack ... | vegeta report -type=json > load.json) and `gate attest IMAGE --report load.json --key KEY`" if {
	"no load test" in problems
} else := "meet the thresholds in a new load test, or change `loadtest` (max_p99_ms, min_success_ratio, min_duration_seconds, max_age) in the environment's data (policies/data/*.json)"

_param_problems contains "loadtest must have max_p99_ms, min_success_ratio (0 to 1), min_duration_seconds and max_age (a duration such as 168h)" if {
	_configured("loadtest")
	not _loadtest_params
}

_loadtest_params if {
	is_number(params.loadtest.max_p99_ms)
	is_number(params.loadtest.min_success_ratio)
	params.loadtest.min_success_ratio >= 0
	params.loadtest.min_success_ratio <= 1
	is_number(params.loadtest.min_duration_seconds)
	_duration(params.loadtest.max_age)
	every k in object.keys(params.loadtest) {
		k in {"max_p99_ms", "min_success_ratio", "min_duration_seconds", "max_age"}
	}
}
