package gate.blessed_test

test_params_problems_fail if {
	every params in [
		{"required_tests": "unit"},
		{"required_tests": ["unit", 2]},
		{"min_coverag": 80},
		{"min_coverage": "80"},
		{"provenance": {"builders": "https://b"}},
		{"provenance": "https://b"},
		{"approvals": ["qa"]},
		{"approvals": {"qa": "one"}},
		{"max_approval_age": "a week"},
	] {
		params_gate_fails(object.union(production, params))
	}
}

params_gate_fails(params) if {
	d := decide(params, blessed_evidence)
	not d.allowed
	d.gates[0].name == "params"
	not d.gates[0].passed
}

test_params_problems_are_named if {
	d := decide(object.union(production, {"min_coverag": 80, "required_tests": "unit"}), blessed_evidence)
	object.remove(d.gates[0], ["next"]) == {"name": "params", "passed": false, "reason": "required_tests must be a list of stage names; unknown key \"min_coverag\""}
	d.gates[0].next == "fix the production policy data (gate.yaml environments.production.data) as the reason says; `gate policy lint POLICY_DIR` checks it against data/schema.json"
}

test_params_gate_absent_when_valid if {
	every g in decide(production, blessed_evidence).gates {
		g.name != "params"
	}
}
