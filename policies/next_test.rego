package gate.blessed_test

import data.gate.blessed

# Every failed gate says, in one line, what would pass it; a passed gate says
# nothing.

test_next_absent_when_passed if {
	every g in decide(production, blessed_evidence).gates {
		not "next" in object.keys(g)
	}
}

test_next_every_failed_gate_has_one_line if {
	failed := [g | some g in decide(production, []).gates; not g.passed]
	count(failed) == 8
	every g in failed {
		g.next != ""
		not contains(g.next, "\n")
	}
}

test_next_tests_missing if {
	next_step("tests/unit", without(blessed.types.test_result)) == "attest the unit tests' report: `gate attest IMAGE --key KEY --report REPORT --stage unit`"
}

test_next_tests_failed if {
	evidence := replacing(blessed.types.test_result, [passed("unit", 3), stage_result("integration", "FAILED", 4, 1, ["TestPay"])])
	next_step("tests/integration", evidence) == "make the integration tests pass in a new build and attest that run: `gate attest IMAGE --key KEY --report REPORT --stage integration`"
}

test_next_coverage_missing if {
	next_step("coverage", without(blessed.types.coverage)) == "attest a coverage report (Go cover profile, LCOV, Cobertura): `gate attest IMAGE --key KEY --report cover.out`"
}

test_next_coverage_below if {
	next_step("coverage", replacing(blessed.types.coverage, [coverage(72.1)])) == "raise coverage to 80% in a new build, or lower `min_coverage` in the production policy data (gate.yaml environments.production.data)"
}

test_next_coverage_unreadable if {
	next_step("coverage", replacing(blessed.types.coverage, [coverage("95")])) == "attest a coverage report that states a percent (Go cover profile, LCOV, Cobertura)"
}

test_next_vulns_missing if {
	next_step("vulnerabilities", without(blessed.types.vulns)) == "attest a vulnerability scan (Trivy or Grype JSON, SARIF): `gate attest IMAGE --key KEY --report trivy.json`"
}

test_next_vulns_blocking_names_the_waiver if {
	evidence := replacing(blessed.types.vulns, [scan([finding("CVE-2024-9999", "CRITICAL", "openssl")])])
	next_step("vulnerabilities", evidence) == "fix them in a new build, or have a required role's GO waive them: `gate approve IMAGE --key KEY --role module-lead --decision go --reason …` --waive CVE-2024-9999"
}

test_next_vulns_bad_severity if {
	d := decide(object.union(production, {"deny_severity": "SEVERE"}), blessed_evidence)
	some g in d.gates
	g.name == "vulnerabilities"
	startswith(g.next, "set `deny_severity` in the production policy data (gate.yaml environments.production.data) to one of CRITICAL, HIGH,")
}

test_next_provenance_missing if {
	next_step("provenance", without(blessed.types.provenance)) == "attest the build's provenance: `gate attest IMAGE --key KEY --provenance --builder-id ID --source URI --commit FULL_SHA`"
}

test_next_provenance_untrusted_builder if {
	evidence := replacing(blessed.types.provenance, [provenance("https://ci.example/builders/release", "git+https://github.com/acme/app")])
	next_step("provenance", evidence) == "build with a trusted builder, or add yours to `provenance.builders` in the production policy data (gate.yaml environments.production.data)"
}

test_next_provenance_untrusted_source if {
	evidence := replacing(blessed.types.provenance, [provenance("https://github.com/actions/runner/github-hosted", "git+https://github.com/evil/app")])
	next_step("provenance", evidence) == "build from a trusted source, or add it to `provenance.sources` in the production policy data (gate.yaml environments.production.data)"
}

test_next_approval_missing_role if {
	evidence := approvals_with([go("lead@acme.com", "module-lead"), go("sre1@acme.com", "sre"), go("sre2@acme.com", "sre")])
	next_step("approval/qa", evidence) == "qa has not said GO: `gate approve IMAGE --key KEY --role qa --decision go --reason …`"
}

test_next_approval_needs_more_signers if {
	evidence := approvals_with([go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"), go("sre1@acme.com", "sre")])
	next_step("approval/sre", evidence) == "1 more GO from sre signers, each with their own key: `gate approve IMAGE --key KEY --role sre --decision go --reason …`"
}

test_next_nogo if {
	evidence := array.concat(blessed_evidence, [nogo("0f1e2d3c4b5a69788796", "sre", "pager storm", "2026-11-22T09:30:00Z")])
	next_step("nogo", evidence) == "a NOGO stands until its signer says GO with the same key: `gate approve IMAGE --key KEY --role sre --decision go --reason …`"
}
