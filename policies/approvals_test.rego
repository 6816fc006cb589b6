package gate.blessed_test

import data.gate.blessed

# approvals_with replaces the blessed evidence's approvals with items.
approvals_with(items) := replacing(blessed.types.approval, items)

expiring(a, at) := json.patch(a, [{"op": "add", "path": "/predicate/expiresAt", "value": at}])

nogo(identity, role, reason, at) := json.patch(approval(identity, role, "NOGO", at), [{"op": "replace", "path": "/predicate/reason", "value": reason}])

test_approvals_pass if {
	gate("approval/sre", blessed_evidence) == {"name": "approval/sre", "passed": true, "reason": "sre: 2 of 2 GO approvals from sre1@acme.com, sre2@acme.com"}
	gate("nogo", blessed_evidence) == {"name": "nogo", "passed": true, "reason": "no NOGO from module-lead, qa, sre"}
}

test_approvals_missing_role_fails if {
	evidence := approvals_with([go("lead@acme.com", "module-lead"), go("sre1@acme.com", "sre"), go("sre2@acme.com", "sre")])
	gate("approval/qa", evidence) == {"name": "approval/qa", "passed": false, "reason": "qa: 0 of 1 GO approvals"}
	failed_gates(evidence) == {"approval/qa"}
}

test_approvals_one_signer_counts_once if {
	evidence := approvals_with([
		go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"),
		go("sre1@acme.com", "sre"), approval("sre1@acme.com", "sre", "GO", "2026-11-22T08:00:00Z"),
	])
	gate("approval/sre", evidence) == {"name": "approval/sre", "passed": false, "reason": "sre: 1 of 2 GO approvals from sre1@acme.com"}
	failed_gates(evidence) == {"approval/sre"}
}

test_approvals_expired_does_not_count if {
	evidence := approvals_with([
		go("lead@acme.com", "module-lead"),
		expiring(go("qa@acme.com", "qa"), "2026-11-22T00:00:00Z"),
		go("sre1@acme.com", "sre"), go("sre2@acme.com", "sre"),
	])
	gate("approval/qa", evidence) == {"name": "approval/qa", "passed": false, "reason": "qa: 0 of 1 GO approvals (1 expired)"}
	failed_gates(evidence) == {"approval/qa"}
}

test_approvals_unexpired_counts if {
	evidence := approvals_with([
		go("lead@acme.com", "module-lead"),
		expiring(go("qa@acme.com", "qa"), "2026-11-23T00:00:00Z"),
		go("sre1@acme.com", "sre"), go("sre2@acme.com", "sre"),
	])
	decide(production, evidence).allowed
}

test_approvals_stale_does_not_count if {
	evidence := approvals_with([
		approval("lead@acme.com", "module-lead", "GO", "2026-11-15T09:59:00Z"),
		go("qa@acme.com", "qa"), go("sre1@acme.com", "sre"), go("sre2@acme.com", "sre"),
	])
	gate("approval/module-lead", evidence).reason == "module-lead: 0 of 1 GO approvals (1 older than 168h)"
	failed_gates(evidence) == {"approval/module-lead"}
}

test_approvals_just_within_max_age_counts if {
	evidence := approvals_with([
		approval("lead@acme.com", "module-lead", "GO", "2026-11-15T10:00:00Z"),
		go("qa@acme.com", "qa"), go("sre1@acme.com", "sre"), go("sre2@acme.com", "sre"),
	])
	gate("approval/module-lead", evidence).passed
}

test_approvals_future_dated_does_not_count if {
	evidence := approvals_with([
		go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"),
		go("sre1@acme.com", "sre"), approval("sre2@acme.com", "sre", "GO", "2026-11-22T10:06:00Z"),
	])
	gate("approval/sre", evidence).reason == "sre: 1 of 2 GO approvals from sre1@acme.com (1 dated in the future)"
}

test_future_dated_go_does_not_lift_nogo if {
	evidence := array.concat(blessed_evidence, [
		nogo("sre1@acme.com", "sre", "pager storm", "2026-11-22T09:00:00Z"),
		approval("sre1@acme.com", "sre", "GO", "2099-01-01T00:00:00Z"),
	])
	gate("nogo", evidence).reason == "NOGO from sre (sre1@acme.com): 'pager storm'"
	gate("approval/sre", evidence).reason == "sre: 1 of 2 GO approvals from sre2@acme.com (1 dated in the future)"
}

test_unreadable_nogo_blocks if {
	evidence := array.concat(blessed_evidence, [nogo("sre1@acme.com", "sre", "typo in date", "tomorrow")])
	not gate("nogo", evidence).passed
}

test_approvals_within_clock_skew_counts if {
	evidence := approvals_with([
		go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"),
		go("sre1@acme.com", "sre"), approval("sre2@acme.com", "sre", "GO", "2026-11-22T10:04:59Z"),
	])
	gate("approval/sre", evidence).passed
}

test_approvals_role_must_match_signer if {
	# A qa signer claims to approve as sre.
	forged := json.patch(go("qa2@acme.com", "qa"), [{"op": "replace", "path": "/predicate/role", "value": "sre"}])
	evidence := approvals_with([go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"), go("sre1@acme.com", "sre"), forged])
	gate("approval/sre", evidence).reason == "sre: 1 of 2 GO approvals from sre1@acme.com (1 signed by a qa signer)"
}

test_approvals_unreadable_time_does_not_count if {
	broken := approval("sre2@acme.com", "sre", "GO", "yesterday")
	evidence := approvals_with([go("lead@acme.com", "module-lead"), go("qa@acme.com", "qa"), go("sre1@acme.com", "sre"), broken])
	not gate("approval/sre", evidence).passed
}

test_approvals_without_now_do_not_count if {
	d := blessed.decision with input as {"evidence": blessed_evidence} with data.gate.params as production
	some g in d.gates
	g.name == "approval/qa"
	not g.passed
}

test_nogo_among_gos_fails if {
	evidence := array.concat(blessed_evidence, [nogo("0f1e2d3c4b5a69788796", "sre", "pager storm", "2026-11-22T09:30:00Z")])
	gate("nogo", evidence) == {"name": "nogo", "passed": false, "reason": "NOGO from sre (key 0f1e2d3c4b5a…): 'pager storm'"}
	gate("approval/sre", evidence).passed
	failed_gates(evidence) == {"nogo"}
}

test_nogo_superseded_by_later_go if {
	evidence := array.concat(blessed_evidence, [nogo("sre1@acme.com", "sre", "pager storm", "2026-11-20T09:00:00Z")])
	gate("nogo", evidence).passed
	decide(production, evidence).allowed
}

test_later_nogo_withdraws_go if {
	evidence := array.concat(blessed_evidence, [nogo("sre1@acme.com", "sre", "rollback needed", "2026-11-22T09:00:00Z")])
	gate("nogo", evidence).reason == "NOGO from sre (sre1@acme.com): 'rollback needed'"
	gate("approval/sre", evidence).reason == "sre: 1 of 2 GO approvals from sre2@acme.com"
}

test_nogo_at_same_instant_as_go_wins if {
	evidence := array.concat(blessed_evidence, [nogo("sre1@acme.com", "sre", "unsure", "2026-11-21T09:00:00Z")])
	not gate("nogo", evidence).passed
	gate("approval/sre", evidence).reason == "sre: 1 of 2 GO approvals from sre2@acme.com (1 outweighed by a NOGO of the same time)"
}

test_expired_nogo_still_blocks if {
	old := expiring(nogo("qa@acme.com", "qa", "flaky", "2026-11-22T09:00:00Z"), "2026-11-22T09:30:00Z")
	stale := nogo("qa2@acme.com", "qa", "ancient", "2025-01-01T00:00:00Z")
	evidence := array.concat(blessed_evidence, [old, stale])
	gate("nogo", evidence).reason == "NOGO from qa (qa2@acme.com): 'ancient'; NOGO from qa (qa@acme.com): 'flaky'"
}

test_nogo_from_unlisted_role_is_ignored if {
	evidence := array.concat(blessed_evidence, [nogo("intern@acme.com", "docs", "typo", "2026-11-22T09:00:00Z")])
	decide(production, evidence).allowed
}

test_nogo_gate_only_with_approvals if {
	d := decide({"required_tests": ["unit"]}, [passed("unit", 1)])
	[g.name | some g in d.gates] == ["tests/unit"]
	d.allowed
}
