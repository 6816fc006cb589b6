# The blessed policy decides whether the verified evidence about one image
# digest makes it "blessed" in an environment. Its gates are chosen by the
# environment's params (data.gate.params); see README.md.
package gate.blessed

# Predicate types the policy reads.
types := {
	"test_result": "https://in-toto.io/attestation/test-result/v0.1",
	"vulns": "https://in-toto.io/attestation/vulns/v0.2",
	"cosign_vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
	"coverage": "https://gatehq.dev/attestation/coverage/v0.1",
	"provenance": "https://slsa.dev/provenance/v1",
	"approval": "https://gatehq.dev/attestation/approval/v0.1",
}

default params := {}

params := data.gate.params

# Fail closed: no gate at all (empty params) is never a pass.
default allowed := false

allowed if {
	count(gates) > 0
	every g in gates {
		g.passed == true
	}
}

decision := {"allowed": allowed, "gates": [_explained(ranked[1]) | some ranked in sort({[object.get(_kinds, split(g.name, "/")[0], _unknown_kind), g] | some g in gates})]}

# Gates are listed in pipeline order, then by name; a kind this list does not
# know goes last rather than missing from the decision.
_kinds := {"params": 0, "tests": 1, "coverage": 2, "vulnerabilities": 3, "provenance": 4, "approval": 5, "nogo": 6, "freshness": 7, "same-source-commit": 8}

# Written out in decision rather than called per gate: a call costs more than
# its body.
_unknown_kind := count(_kinds)

# The bundles gate must fetch for these params. Approvals are needed for the
# vulnerability gate too, because waivers are carried by GO approvals.
predicate_types contains types.test_result if count(object.get(params, "required_tests", [])) > 0

predicate_types contains types.coverage if _configured("min_coverage")

predicate_types contains t if {
	_configured("deny_severity")
	some t in [types.vulns, types.cosign_vuln, types.approval]
}

predicate_types contains types.provenance if _configured("provenance")

predicate_types contains types.approval if count(object.get(params, "approvals", {})) > 0

_configured(key) if key in _param_keys

_param_keys := object.keys(params)

# The predicates of evidence of one type, indexed once per decision.
_predicates(type) := object.get(_evidence_by_type, type, set())

_evidence_by_type[e.predicateType] contains e.predicate if some e in input.evidence

_now := time.parse_rfc3339_ns(input.now)

# "1 scan", "2 scans".
_plural(n, word) := sprintf("%v %s", [n, word]) if n == 1

else := sprintf("%v %ss", [n, word])

# Lists at most _listed items, then says how many more there are.
_listed := 5

_list(items) := concat(", ", items) if count(items) <= _listed

else := sprintf("%s and %v more", [concat(", ", array.slice(items, 0, _listed)), count(items) - _listed])

_strings(x) := [s | some s in x; is_string(s)] if is_array(x)

else := []
