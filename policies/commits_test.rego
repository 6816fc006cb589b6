package gate.blessed_test

import data.gate.blessed

# same_source_commit: tests, coverage and provenance must name one commit.

commit_params := object.union(production, {"same_source_commit": true})

sha_a := "7e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d"

sha_b := "0123456789abcdef0123456789abcdef01234567"

tested_commit(stage, sha) := json.patch(passed(stage, 3), [{"op": "add", "path": "/predicate/configuration/0/annotations/commit", "value": sha}])

covered_commit(sha) := json.patch(coverage(85.2), [{"op": "add", "path": "/predicate/commit", "value": sha}])

built_commit(sha) := json.patch(trusted_provenance, [{"op": "replace", "path": "/predicate/buildDefinition/resolvedDependencies/0/digest/gitCommit", "value": sha}])

commit_evidence(unit, integration, cov, built) := array.concat(
	[tested_commit("unit", unit), tested_commit("integration", integration), covered_commit(cov), scan([]), built_commit(built)],
	approvals,
)

commit_gate(evidence) := g if {
	some g in decide(commit_params, evidence).gates
	g.name == "same-source-commit"
}

test_commits_same_passes if {
	evidence := commit_evidence(sha_a, sha_a, sha_a, sha_a)
	decide(commit_params, evidence).allowed
	commit_gate(evidence).reason == "coverage, provenance, tests/integration, tests/unit all name commit 7e4d3c2b1a0f…"
}

test_commits_case_does_not_matter if {
	commit_gate(commit_evidence(sha_a, sha_a, sha_a, upper(sha_a))).passed
}

test_commits_mismatch_fails_with_both if {
	evidence := commit_evidence(sha_a, sha_b, sha_a, sha_a)
	g := commit_gate(evidence)
	g.passed == false
	g.reason == "tests/integration names 0123456789ab…; coverage, provenance, tests/unit names 7e4d3c2b1a0f…"
	startswith(g.next, "rebuild, test and measure one commit")
	{n | some g2 in decide(commit_params, evidence).gates; not g2.passed; n := g2.name} == {"same-source-commit"}
}

test_commits_missing_fails_closed if {
	evidence := replacing(blessed.types.coverage, [covered_commit(sha_a)])
	g := commit_gate(evidence)
	g.passed == false
	g.reason == "tests/integration, tests/unit name no commit"
	contains(g.next, "--commit FULL_SHA")
}

test_commits_off_by_default if {
	every g in decide(production, commit_evidence(sha_a, sha_b, sha_a, sha_a)).gates {
		g.name != "same-source-commit"
	}
}

test_commits_needs_the_types if {
	p := {"same_source_commit": true}
	blessed.predicate_types == {blessed.types.test_result, blessed.types.coverage, blessed.types.provenance} with data.gate.params as p
}

test_commits_param_not_boolean if {
	p := object.union(production, {"same_source_commit": "yes"})
	some g in decide(p, blessed_evidence).gates
	g.name == "params"
	g.reason == "same_source_commit must be true or false"
}
