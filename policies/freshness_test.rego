package gate.blessed_test

import data.gate.blessed

# max_age: the newest evidence of each named type must be younger than its
# limit, by the time signed inside it; now is 2026-11-22T10:00:00Z.

fresh_params := object.union(production, {"max_age": {
	blessed.types.vulns: "168h",
	blessed.types.provenance: "720h",
	blessed.types.test_result: "24h",
	blessed.types.coverage: "24h",
}})

scanned_at(at) := json.patch(scan([]), [{"op": "replace", "path": "/predicate/metadata/scanFinishedOn", "value": at}])

built_at(at) := json.patch(trusted_provenance, [{"op": "add", "path": "/predicate/runDetails/metadata", "value": {"finishedOn": at}}])

tested_at(stage, at) := json.patch(passed(stage, 3), [{"op": "add", "path": "/predicate/configuration/0/annotations/attestedAt", "value": at}])

covered_at(at) := json.patch(coverage(85.2), [{"op": "add", "path": "/predicate/attestedAt", "value": at}])

fresh_evidence := array.concat(
	[
		tested_at("unit", "2026-11-22T09:00:00Z"), tested_at("integration", "2026-11-22T09:00:00Z"),
		covered_at("2026-11-22T09:00:00Z"),
		scanned_at("2026-11-21T10:00:00Z"),
		built_at("2026-11-20T10:00:00Z"),
	],
	approvals,
)

fresh_gate(name, evidence) := g if {
	some g in decide(fresh_params, evidence).gates
	g.name == name
}

# fresh_replacing swaps every item of type in fresh_evidence for items.
fresh_replacing(type, items) := array.concat([e | some e in fresh_evidence; e.predicateType != type], items)

test_freshness_all_fresh_blesses if {
	decide(fresh_params, fresh_evidence).allowed
	fresh_gate("freshness/vulns", fresh_evidence) == {"name": "freshness/vulns", "passed": true, "reason": "vulns: the newest is 1d0h old, within 168h"}
	fresh_gate("freshness/test_result", fresh_evidence).reason == "test_result: the newest is 1h0m old, within 24h"
}

test_freshness_stale_scan_fails_with_its_age if {
	evidence := fresh_replacing(blessed.types.vulns, [scanned_at("2026-11-14T08:00:00Z")])
	g := fresh_gate("freshness/vulns", evidence)
	g.passed == false
	g.reason == "vulns: the newest is 8d2h old, older than 168h"
	g.next == "run that stage again and attest its new evidence, or raise `max_age[\"https://in-toto.io/attestation/vulns/v0.2\"]` in the production policy data (gate.yaml environments.production.data)"
	{n | some g2 in decide(fresh_params, evidence).gates; not g2.passed; n := g2.name} == {"freshness/vulns"}
}

test_freshness_newest_counts if {
	evidence := fresh_replacing(blessed.types.vulns, [scanned_at("2026-11-01T00:00:00Z"), scanned_at("2026-11-22T08:00:00Z")])
	fresh_gate("freshness/vulns", evidence).passed
}

test_freshness_no_signed_time_fails_closed if {
	evidence := fresh_replacing(blessed.types.coverage, [coverage(85.2)])
	g := fresh_gate("freshness/coverage", evidence)
	g.passed == false
	g.reason == "coverage: none of 1 attestation has a signed time in the past, so its age cannot be established"
	startswith(g.next, "attest coverage evidence again with a gate that signs its time")
}

test_freshness_future_time_is_not_fresh if {
	evidence := fresh_replacing(blessed.types.provenance, [built_at("2099-01-01T00:00:00Z")])
	fresh_gate("freshness/provenance", evidence).passed == false
}

test_freshness_missing_type_fails if {
	evidence := [e | some e in fresh_evidence; e.predicateType != blessed.types.provenance]
	g := fresh_gate("freshness/provenance", evidence)
	g.reason == "no provenance evidence"
	g.next == "attest provenance evidence about this image, made by a new run of its stage"
}

test_freshness_unknown_type_named_by_uri if {
	p := object.union(production, {"max_age": {"https://example.com/load-test/v1": "24h"}})
	some g in decide(p, blessed_evidence).gates
	g.name == "freshness/https://example.com/load-test/v1"
	g.reason == "no https://example.com/load-test/v1 evidence"
	"https://example.com/load-test/v1" in blessed.predicate_types with data.gate.params as p
}

test_freshness_approval_uses_approved_at if {
	p := object.union(production, {"max_age": {blessed.types.approval: "1h"}})
	some g in decide(p, blessed_evidence).gates
	g.name == "freshness/approval"
	g.reason == "approval: the newest is 1d1h old, older than 1h"
}

test_freshness_params_malformed if {
	p := object.union(production, {"max_age": {blessed.types.vulns: "a week"}})
	some g in decide(p, blessed_evidence).gates
	g.name == "params"
	g.reason == "max_age must map predicate types to durations such as 168h"
}

test_freshness_keyless_time_when_the_predicate_has_none if {
	keyless := object.union(coverage(85.2), {"signedAt": "2026-11-22T08:30:00Z"})
	evidence := fresh_replacing(blessed.types.coverage, [keyless])
	fresh_gate("freshness/coverage", evidence).reason == "coverage: the newest is 1h30m old, within 24h"
}

test_freshness_predicate_time_before_the_keyless_time if {
	keyless := object.union(scanned_at("2026-11-01T00:00:00Z"), {"signedAt": "2026-11-22T08:30:00Z"})
	evidence := fresh_replacing(blessed.types.vulns, [keyless])
	fresh_gate("freshness/vulns", evidence).passed == false
}
