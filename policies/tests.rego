package gate.blessed

# A test-result records its stage and counts in the configuration descriptor
# named "gate:test-run": test-result v0.1 has no field for them.
_test_runs[stage] contains run if {
	some p in _predicates(types.test_result)
	some c in p.configuration
	c.name == "gate:test-run"
	stage := c.annotations.stage
	run := {
		"result": object.get(p, "result", ""),
		"total": _number(c.annotations, "total"),
		"passed": _number(c.annotations, "passed"),
		"failed": _number(c.annotations, "failed") + _number(c.annotations, "errors"),
		"skipped": _number(c.annotations, "skipped"),
		"failed_tests": _strings(object.get(p, "failedTests", [])),
	}
}

_number(obj, key) := n if {
	n := obj[key]
	is_number(n)
} else := 0

gates contains {"name": sprintf("tests/%v", [stage]), "passed": passed, "reason": reason} if {
	some stage in object.get(params, "required_tests", [])
	[passed, reason] := _tests_verdict(stage, object.get(_test_runs, stage, set()))
}

# A stage passes iff it has at least one run and every run PASSED with at
# least one test. WARNED is not a pass: gate writes it when no test ran.
_tests_verdict(stage, runs) := [false, sprintf("%v: no test results", [stage])] if {
	count(runs) == 0
} else := [false, sprintf("%v: %v of %v tests failed%s", [stage, failed, total, names])] if {
	failed := sum([r.failed | some r in runs])
	failed > 0
	total := sum([r.total | some r in runs])
	names := _failed_names(sort({n | some r in runs; some n in r.failed_tests}))
} else := [false, sprintf("%v: a run reported %v with %s; only PASSED with at least one test passes", [stage, r.result, _plural(r.total, "test")])] if {
	bad := [r | some r in runs; not _run_passed(r)]
	r := bad[0]
} else := [true, sprintf("%v: %s passed%s", [stage, _plural(passed, "test"), skipped])] if {
	passed := sum([n | some r in runs; n := (r.total - r.failed) - r.skipped])
	skipped := _skipped(sum([r.skipped | some r in runs]))
}

_run_passed(run) if {
	run.result == "PASSED"
	run.total > 0
}

_failed_names(names) := "" if count(names) == 0

else := sprintf(" (%s)", [_list(names)])

_skipped(n) := "" if n == 0

else := sprintf(", %v skipped", [n])
