package gate.blessed_test

import data.gate.blessed

# A role's GO counts only with every item required_checks names for the role
# ticked with an https link.

with_checks := object.union(production, {"required_checks": {"sre": ["dr-plan", "on-call"]}})

ticked(a, items) := json.patch(a, [{"op": "add", "path": "/predicate/checklist", "value": [{"item": i, "link": sprintf("https://wiki.acme.com/%s", [i])} | some i in items]}])

checked_approvals(sre1_items, sre2_items) := replacing(blessed.types.approval, [
	go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"),
	ticked(go("sre1@acme.com", "sre"), sre1_items), ticked(go("sre2@acme.com", "sre"), sre2_items),
])

checked_gate(name, evidence) := g if {
	some g in decide(with_checks, evidence).gates
	g.name == name
}

test_checklist_complete_counts if {
	decide(with_checks, checked_approvals(["dr-plan", "on-call"], ["on-call", "dr-plan", "release-notes"])).allowed
}

test_checklist_missing_item_does_not_count if {
	g := checked_gate("approval/sre", checked_approvals(["dr-plan", "on-call"], ["dr-plan"]))
	g.passed == false
	g.reason == "sre: 1 of 2 GO approvals from sre1@acme.com (1 missing checklist item on-call)"
	g.next == "a GO from sre lacks checklist item on-call: say GO again with it ticked, `gate approve IMAGE --key KEY --role sre --decision go --reason … --check on-call=URL`"
}

test_checklist_no_checklist_names_every_item if {
	g := checked_gate("approval/sre", checked_approvals([], ["dr-plan", "on-call"]))
	g.reason == "sre: 1 of 2 GO approvals from sre2@acme.com (1 missing checklist item dr-plan, on-call)"
	g.next == "a GO from sre lacks checklist item dr-plan: say GO again with it ticked, `gate approve IMAGE --key KEY --role sre --decision go --reason … --check dr-plan=URL --check on-call=URL`"
}

test_checklist_link_not_https_is_not_ticked if {
	a := json.patch(go("sre2@acme.com", "sre"), [{"op": "add", "path": "/predicate/checklist", "value": [
		{"item": "dr-plan", "link": "http://wiki.acme.com/dr"},
		{"item": "on-call", "link": "https://wiki.acme.com/on-call"},
	]}])
	evidence := replacing(blessed.types.approval, [go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"), ticked(go("sre1@acme.com", "sre"), ["dr-plan", "on-call"]), a])
	checked_gate("approval/sre", evidence).reason == "sre: 1 of 2 GO approvals from sre1@acme.com (1 missing checklist item dr-plan)"
}

test_checklist_other_roles_unaffected if {
	checked_gate("approval/qa", checked_approvals([], [])).passed
}

test_checklist_missing_go_names_the_checks if {
	evidence := replacing(blessed.types.approval, [go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa")])
	checked_gate("approval/sre", evidence).next == "2 more GO from sre signers, each with their own key: `gate approve IMAGE --key KEY --role sre --decision go --reason … --check dr-plan=URL --check on-call=URL`"
}

test_checklist_params_malformed if {
	bad := object.union(production, {"required_checks": {"sre": ["DR plan"]}})
	some g in decide(bad, blessed_evidence).gates
	g.name == "params"
	g.reason == "required_checks must map roles to lists of checklist items ([a-z0-9-]+)"
}
