package gate.blessed

_coverage_percents := [p |
	some c in _predicates(types.coverage)
	p := c.percent
	is_number(p)
]

# A report without a numeric percent cannot be checked, so it fails the gate
# rather than being skipped.
_coverage_unreadable := count(_predicates(types.coverage)) - count(_coverage_percents)

gates contains {"name": "coverage", "passed": passed, "reason": reason} if {
	_configured("min_coverage")
	[passed, reason] := _coverage_verdict(params.min_coverage)
}

_coverage_verdict(least) := [false, "no coverage report"] if {
	count(_predicates(types.coverage)) == 0
} else := [false, sprintf("coverage: %s without a numeric percent", [_plural(_coverage_unreadable, "report")])] if {
	_coverage_unreadable > 0
} else := [false, sprintf("coverage %v%%%s is below %v%%", [_percent(lowest), _lowest_of, least])] if {
	lowest := min(_coverage_percents)
	not lowest >= least
} else := [true, sprintf("coverage %v%%%s meets %v%%", [_percent(min(_coverage_percents)), _lowest_of, least])]

_lowest_of := "" if count(_coverage_percents) == 1

else := sprintf(" (lowest of %v reports)", [count(_coverage_percents)])

# One decimal, rounded down so that 79.96 never reads as 80.
_percent(p) := floor(p * 10) / 10
