package gate.blessed_test

import data.gate.blessed

test_coverage_pass if {
	gate("coverage", blessed_evidence) == {"name": "coverage", "passed": true, "reason": "coverage 85.2% meets 80%"}
}

test_coverage_at_threshold_passes if {
	gate("coverage", replacing(blessed.types.coverage, [coverage(80)])).passed
}

test_coverage_below_fails if {
	evidence := replacing(blessed.types.coverage, [coverage(71.5)])
	gate("coverage", evidence) == {"name": "coverage", "passed": false, "reason": "coverage 71.5% is below 80%"}
	failed_gates(evidence) == {"coverage"}
}

test_coverage_rounds_down if {
	gate("coverage", replacing(blessed.types.coverage, [coverage(79.96)])).reason == "coverage 79.9% is below 80%"
}

test_coverage_lowest_report_decides if {
	evidence := replacing(blessed.types.coverage, [coverage(92), coverage(71.5)])
	gate("coverage", evidence) == {"name": "coverage", "passed": false, "reason": "coverage 71.5% (lowest of 2 reports) is below 80%"}
}

test_coverage_missing_fails if {
	gate("coverage", without(blessed.types.coverage)) == {"name": "coverage", "passed": false, "reason": "no coverage report"}
}

test_coverage_unreadable_percent_fails if {
	evidence := replacing(blessed.types.coverage, [coverage(95), coverage("95")])
	gate("coverage", evidence) == {"name": "coverage", "passed": false, "reason": "coverage: 1 report without a numeric percent"}
}
