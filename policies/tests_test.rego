package gate.blessed_test

import data.gate.blessed

test_tests_pass if {
	gate("tests/unit", blessed_evidence) == {"name": "tests/unit", "passed": true, "reason": "unit: 40 tests passed"}
}

test_tests_fail_with_names if {
	evidence := replacing(blessed.types.test_result, [
		stage_result("unit", "FAILED", 40, 2, ["TestB", "TestA"]),
		passed("integration", 12),
	])
	gate("tests/unit", evidence) == {"name": "tests/unit", "passed": false, "reason": "unit: 2 of 40 tests failed (TestA, TestB)"}
	failed_gates(evidence) == {"tests/unit"}
}

test_tests_list_at_most_five_names if {
	names := ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]
	evidence := replacing(blessed.types.test_result, [stage_result("unit", "FAILED", 9, 7, names), passed("integration", 12)])
	gate("tests/unit", evidence).reason == "unit: 7 of 9 tests failed (T1, T2, T3, T4, T5 and 2 more)"
}

test_tests_missing_stage_fails if {
	evidence := replacing(blessed.types.test_result, [passed("unit", 40)])
	gate("tests/integration", evidence) == {"name": "tests/integration", "passed": false, "reason": "integration: no test results"}
	failed_gates(evidence) == {"tests/integration"}
}

test_tests_warned_zero_tests_fails if {
	evidence := replacing(blessed.types.test_result, [stage_result("unit", "WARNED", 0, 0, []), passed("integration", 12)])
	g := gate("tests/unit", evidence)
	not g.passed
	g.reason == "unit: a run reported WARNED with 0 tests; only PASSED with at least one test passes"
}

test_tests_passed_with_zero_tests_fails if {
	evidence := replacing(blessed.types.test_result, [passed("unit", 0), passed("integration", 12)])
	not gate("tests/unit", evidence).passed
}

test_tests_one_failing_run_of_two_fails if {
	evidence := array.concat(blessed_evidence, [stage_result("unit", "FAILED", 5, 1, ["TestFlaky"])])
	gate("tests/unit", evidence).reason == "unit: 1 of 45 tests failed (TestFlaky)"
}

test_tests_failed_without_failing_tests_fails if {
	evidence := replacing(blessed.types.test_result, [stage_result("unit", "FAILED", 40, 0, []), passed("integration", 12)])
	gate("tests/unit", evidence).reason == "unit: a run reported FAILED with 40 tests; only PASSED with at least one test passes"
}

test_tests_two_passing_runs_add_up if {
	evidence := array.concat(blessed_evidence, [passed("unit", 2)])
	gate("tests/unit", evidence) == {"name": "tests/unit", "passed": true, "reason": "unit: 42 tests passed"}
}

test_tests_without_stage_descriptor_do_not_count if {
	untagged := json.patch(passed("unit", 40), [{"op": "replace", "path": "/predicate/configuration", "value": []}])
	evidence := replacing(blessed.types.test_result, [untagged, passed("integration", 12)])
	gate("tests/unit", evidence).reason == "unit: no test results"
}

test_tests_of_another_stage_do_not_count if {
	evidence := replacing(blessed.types.test_result, [passed("unit", 40), passed("e2e", 3)])
	not gate("tests/integration", evidence).passed
}

test_tests_errors_count_as_failures if {
	erred := json.patch(stage_result("unit", "FAILED", 40, 0, ["TestPanics"]), [{"op": "replace", "path": "/predicate/configuration/0/annotations/errors", "value": 1}])
	evidence := replacing(blessed.types.test_result, [erred, passed("integration", 12)])
	gate("tests/unit", evidence).reason == "unit: 1 of 40 tests failed (TestPanics)"
}
