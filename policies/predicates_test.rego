package gate.blessed_test

import data.gate.blessed

checklist_type := "https://example.com/checklist/v1"

checklist := {"predicateType": checklist_type, "signer": {"role": "sre", "identity": "5e"}, "predicate": {"items": ["dr-plan"]}}

required_params := {"required_predicates": [checklist_type]}

required_gate(evidence) := g if {
	some g in decide(required_params, evidence).gates
	g.name == "predicate/https://example.com/checklist/v1"
}

test_required_predicate_present_passes if {
	g := required_gate([checklist])
	g.passed
	g.reason == "1 attestation of type https://example.com/checklist/v1"
	decide(required_params, [checklist]).allowed
}

test_required_predicate_missing_fails if {
	g := required_gate([coverage(90)])
	not g.passed
	g.reason == "no verified attestation of type https://example.com/checklist/v1"
	contains(g.next, "--type https://example.com/checklist/v1")
	not decide(required_params, [coverage(90)]).allowed
}

test_required_predicates_are_fetched if {
	blessed.predicate_types == {checklist_type} with data.gate.params as required_params
}

test_required_predicates_params_checked if {
	d := decide({"required_predicates": ["checklist"]}, [])
	some g in d.gates
	g.name == "params"
	g.reason == "required_predicates must be a list of predicate type URIs"
}
