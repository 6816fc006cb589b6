package gate.blessed_test

import data.gate.blessed

builder := "https://github.com/actions/runner/github-hosted"

test_provenance_pass if {
	g := gate("provenance", blessed_evidence)
	g.passed
	g.reason == "built by https://github.com/actions/runner/github-hosted from git+https://github.com/acme/app@refs/heads/main"
}

test_provenance_unpinned_source_passes if {
	gate("provenance", replacing(blessed.types.provenance, [provenance(builder, "git+https://github.com/acme/app")])).passed
}

test_provenance_missing_fails if {
	evidence := without(blessed.types.provenance)
	gate("provenance", evidence) == {"name": "provenance", "passed": false, "reason": "no SLSA provenance"}
	failed_gates(evidence) == {"provenance"}
}

test_provenance_untrusted_builder_fails if {
	evidence := replacing(blessed.types.provenance, [provenance("https://laptop.local", "git+https://github.com/acme/app")])
	gate("provenance", evidence).reason == "built by https://laptop.local, not a trusted builder"
	failed_gates(evidence) == {"provenance"}
}

test_provenance_untrusted_source_fails if {
	evidence := replacing(blessed.types.provenance, [provenance(builder, "git+https://github.com/acme/app-fork@refs/heads/main")])
	gate("provenance", evidence).reason == "built from git+https://github.com/acme/app-fork@refs/heads/main, not a trusted source"
}

test_provenance_builder_and_source_must_be_one_statement if {
	evidence := replacing(blessed.types.provenance, [
		provenance(builder, "git+https://github.com/evil/app"),
		provenance("https://laptop.local", "git+https://github.com/acme/app"),
	])
	not gate("provenance", evidence).passed
}

test_provenance_without_builder_fails if {
	bare := json.remove(trusted_provenance, ["predicate/runDetails"])
	gate("provenance", replacing(blessed.types.provenance, [bare])).reason == "provenance names no builder"
}
