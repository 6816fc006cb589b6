# Fixtures and the tests of the decision as a whole. The params mirror
# data/production.json; the Go tests evaluate that file itself.
package gate.blessed_test

import data.gate.blessed

now := "2026-11-22T10:00:00Z"

production := {
	"required_tests": ["unit", "integration"],
	"min_coverage": 80,
	"deny_severity": "HIGH",
	"provenance": {
		"builders": ["https://github.com/actions/runner/github-hosted"],
		"sources": ["git+https://github.com/acme/app"],
	},
	"approvals": {"module-lead": 1, "qa": 1, "sre": 2},
	"max_approval_age": "168h",
}

staging := {
	"required_tests": ["unit"],
	"min_coverage": 60,
	"deny_severity": "CRITICAL",
	"approvals": {"module-lead": 1},
	"max_approval_age": "168h",
}

ci := {"role": "ci", "identity": "0f9e4b8c1d2a3b4c5d6e"}

stage_result(stage, result, total, failed, failed_tests) := {
	"predicateType": blessed.types.test_result,
	"signer": ci,
	"predicate": {
		"result": result,
		"configuration": [{"name": "gate:test-run", "annotations": {
			"stage": stage, "format": "gotest", "total": total, "passed": total - failed,
			"failed": failed, "errors": 0, "skipped": 0,
		}}],
		"passedTests": [],
		"warnedTests": [],
		"failedTests": failed_tests,
	},
}

passed(stage, total) := stage_result(stage, "PASSED", total, 0, [])

coverage(percent) := {
	"predicateType": blessed.types.coverage,
	"signer": ci,
	"predicate": {"format": "gocover", "unit": "statements", "covered": 0, "total": 0, "percent": percent, "files": 3},
}

finding(id, severity, pkg) := {
	"id": id,
	"severity": [{"method": "gate", "score": severity}, {"method": "CVSSv31", "score": "9.8"}],
	"annotations": [{"package": pkg}],
}

scan(findings) := {
	"predicateType": blessed.types.vulns,
	"signer": ci,
	"predicate": {
		"scanner": {"uri": "pkg:github/aquasecurity/trivy", "db": {}, "result": findings},
		"metadata": {"scanStartedOn": now, "scanFinishedOn": now},
	},
}

provenance(builder, source) := {
	"predicateType": blessed.types.provenance,
	"signer": ci,
	"predicate": {
		"buildDefinition": {
			"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"resolvedDependencies": [{"uri": source, "digest": {"gitCommit": "7e4d3c2b"}}],
		},
		"runDetails": {"builder": {"id": builder}},
	},
}

trusted_provenance := provenance("https://github.com/actions/runner/github-hosted", "git+https://github.com/acme/app@refs/heads/main")

# approval is a decision signed by identity, holding role, at approvedAt.
approval(identity, role, decision, at) := {
	"predicateType": blessed.types.approval,
	"signer": {"role": role, "identity": identity},
	"predicate": {"decision": decision, "role": role, "reason": "looks good", "approvedAt": at, "reviewed": "v1.4.0"},
}

go(identity, role) := approval(identity, role, "GO", "2026-11-21T09:00:00Z")

approvals := [
	go("lead@acme.com", "module-lead"),
	go("qa@acme.com", "qa"),
	go("sre1@acme.com", "sre"),
	go("sre2@acme.com", "sre"),
]

blessed_evidence := array.concat(
	[
		passed("unit", 40),
		passed("integration", 12),
		coverage(85.2),
		scan([finding("CVE-2024-0001", "MEDIUM", "zlib")]),
		trusted_provenance,
	],
	approvals,
)

decide(params, evidence) := d if {
	d := blessed.decision with input as {
		"subject": {"digest": "sha256:4f3c", "reference": "registry.acme.com/app:v1.4.0"},
		"environment": "production",
		"now": now,
		"evidence": evidence,
	}
		with data.gate.params as params
}

# gate is the gate named name in the production decision on evidence,
# without its next step (next_test.rego tests those).
gate(name, evidence) := object.remove(g, ["next"]) if {
	some g in decide(production, evidence).gates
	g.name == name
}

# next_step is what the gate named name says would pass it.
next_step(name, evidence) := g.next if {
	some g in decide(production, evidence).gates
	g.name == name
}

# without drops every item of type from the blessed evidence.
without(type) := [e | some e in blessed_evidence; e.predicateType != type]

# replacing swaps every item of type in the blessed evidence for items.
replacing(type, items) := array.concat(without(type), items)

failed_gates(evidence) := {g.name | some g in decide(production, evidence).gates; not g.passed}

test_blessed_evidence_is_allowed if {
	d := decide(production, blessed_evidence)
	d.allowed
	[g.name | some g in d.gates] == [
		"tests/integration", "tests/unit", "coverage", "vulnerabilities", "provenance",
		"approval/module-lead", "approval/qa", "approval/sre", "nogo",
	]
	every g in d.gates {
		g.passed
		g.reason != ""
	}
}

test_staging_needs_less if {
	evidence := [passed("unit", 3), coverage(61), scan([finding("CVE-2024-0002", "HIGH", "curl")]), go("lead@acme.com", "module-lead")]
	decide(staging, evidence).allowed
	not decide(production, evidence).allowed
}

test_empty_evidence_is_not_allowed if {
	d := decide(production, [])
	not d.allowed
	failed_gates([]) == {
		"tests/integration", "tests/unit", "coverage", "vulnerabilities", "provenance",
		"approval/module-lead", "approval/qa", "approval/sre",
	}
}

test_empty_params_never_allow if {
	d := decide({}, blessed_evidence)
	not d.allowed
	d.gates == []
}

test_absent_params_never_allow if {
	d := blessed.decision with input as {"now": now, "evidence": blessed_evidence}
	not d.allowed
	d.gates == []
}

test_empty_input_is_not_allowed if {
	d := blessed.decision with input as {} with data.gate.params as production
	not d.allowed
	count(d.gates) == 9
}

test_one_failing_gate_denies if {
	not decide(production, without(blessed.types.coverage)).allowed
}

test_predicate_types_follow_params if {
	blessed.predicate_types with data.gate.params as production == {
		blessed.types.test_result, blessed.types.coverage, blessed.types.vulns,
		blessed.types.cosign_vuln, blessed.types.provenance, blessed.types.approval,
	}
	blessed.predicate_types with data.gate.params as {"required_tests": ["unit"]} == {blessed.types.test_result}
	blessed.predicate_types with data.gate.params as {"deny_severity": "HIGH"} == {blessed.types.vulns, blessed.types.cosign_vuln, blessed.types.approval}
	count(blessed.predicate_types) == 0 with data.gate.params as {}
}

test_unknown_gate_kind_is_listed_last if {
	gates := {{"name": "sbom", "passed": true, "reason": "x"}, {"name": "coverage", "passed": true, "reason": "y"}}
	d := blessed.decision with blessed.gates as gates
	[g.name | some g in d.gates] == ["coverage", "sbom"]
	d.allowed with blessed.gates as gates
}
