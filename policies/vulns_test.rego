package gate.blessed_test

import data.gate.blessed

openssl := finding("CVE-2019-1549", "CRITICAL", "openssl")

# waiver is a GO by a second qa signer that accepts ids.
waiver(ids, at) := json.patch(approval("qa2@acme.com", "qa", "GO", at), [{"op": "add", "path": "/predicate/waivers", "value": ids}])

test_vulns_pass if {
	gate("vulnerabilities", blessed_evidence) == {"name": "vulnerabilities", "passed": true, "reason": "no unwaived finding at or above HIGH in 1 scan"}
}

test_vulns_finding_at_threshold_fails if {
	evidence := replacing(blessed.types.vulns, [scan([finding("CVE-2024-0002", "HIGH", "curl")])])
	gate("vulnerabilities", evidence).reason == "CVE-2024-0002 (HIGH) in curl is not waived"
	failed_gates(evidence) == {"vulnerabilities"}
}

test_vulns_unwaived_critical_fails if {
	evidence := replacing(blessed.types.vulns, [scan([finding("CVE-2024-0001", "MEDIUM", "zlib"), openssl])])
	gate("vulnerabilities", evidence) == {"name": "vulnerabilities", "passed": false, "reason": "CVE-2019-1549 (CRITICAL) in openssl is not waived"}
}

test_vulns_listed_worst_first if {
	evidence := replacing(blessed.types.vulns, [scan([finding("CVE-2024-0002", "HIGH", "curl"), openssl])])
	gate("vulnerabilities", evidence).reason == "CVE-2019-1549 (CRITICAL) in openssl, CVE-2024-0002 (HIGH) in curl are not waived"
}

test_vulns_waived_by_counted_go_passes if {
	evidence := array.concat(
		replacing(blessed.types.vulns, [scan([openssl])]),
		[waiver(["CVE-2019-1549"], "2026-11-22T09:00:00Z")],
	)
	gate("vulnerabilities", evidence) == {
		"name": "vulnerabilities", "passed": true,
		"reason": "no unwaived finding at or above HIGH in 1 scan (waived: CVE-2019-1549 (CRITICAL) in openssl)",
	}
	decide(production, evidence).allowed
}

test_vulns_waiver_for_another_finding_does_not_count if {
	evidence := array.concat(
		replacing(blessed.types.vulns, [scan([openssl])]),
		[waiver(["CVE-2019-1550"], "2026-11-22T09:00:00Z")],
	)
	not gate("vulnerabilities", evidence).passed
}

test_vulns_waiver_from_stale_go_does_not_count if {
	evidence := array.concat(
		replacing(blessed.types.vulns, [scan([openssl])]),
		[waiver(["CVE-2019-1549"], "2026-10-01T09:00:00Z")],
	)
	not gate("vulnerabilities", evidence).passed
}

test_vulns_waiver_withdrawn_by_later_nogo if {
	evidence := array.concat(
		replacing(blessed.types.vulns, [scan([openssl])]),
		[
			waiver(["CVE-2019-1549"], "2026-11-22T09:00:00Z"),
			approval("qa2@acme.com", "qa", "NOGO", "2026-11-22T09:30:00Z"),
		],
	)
	not gate("vulnerabilities", evidence).passed
}

test_vulns_cosign_scan_counts if {
	cosign := json.patch(scan([openssl]), [{"op": "replace", "path": "/predicateType", "value": blessed.types.cosign_vuln}])
	evidence := replacing(blessed.types.vulns, [cosign])
	gate("vulnerabilities", evidence).reason == "CVE-2019-1549 (CRITICAL) in openssl is not waived"
}

test_vulns_every_scan_counts if {
	evidence := array.concat(blessed_evidence, [scan([openssl])])
	gate("vulnerabilities", evidence).reason == "CVE-2019-1549 (CRITICAL) in openssl is not waived"
}

test_vulns_missing_scan_fails if {
	evidence := without(blessed.types.vulns)
	gate("vulnerabilities", evidence) == {"name": "vulnerabilities", "passed": false, "reason": "no vulnerability scan"}
	failed_gates(evidence) == {"vulnerabilities"}
}

test_vulns_empty_scan_passes if {
	gate("vulnerabilities", replacing(blessed.types.vulns, [scan([])])).passed
}

test_vulns_unknown_ranks_between_negligible_and_low if {
	unknown := [scan([finding("GHSA-xxxx", "UNKNOWN", "left-pad")])]
	negligible := [scan([finding("CVE-2024-0003", "NEGLIGIBLE", "bash")])]
	vulns_passed("LOW", unknown)
	not vulns_passed("UNKNOWN", unknown)
	vulns_passed("UNKNOWN", negligible)
	not vulns_passed("NEGLIGIBLE", negligible)
}

test_vulns_finding_without_gate_severity_is_unknown if {
	bare := {"id": "GHSA-yyyy", "severity": [{"method": "CVSSv31", "score": "9.8"}]}
	not vulns_passed("UNKNOWN", [scan([bare])])
	vulns_passed("LOW", [scan([bare])])
	some g in decide({"deny_severity": "UNKNOWN"}, [scan([bare])]).gates
	g.reason == "GHSA-yyyy (UNKNOWN) is not waived"
}

test_vulns_bad_deny_severity_fails if {
	d := decide({"deny_severity": "SEVERE"}, [scan([])])
	not d.allowed
	d.gates[0].reason == "deny_severity SEVERE is not one of CRITICAL, HIGH, LOW, MEDIUM, NEGLIGIBLE, UNKNOWN"
}

vulns_passed(deny, evidence) if {
	d := decide({"deny_severity": deny}, evidence)
	d.allowed
}
