package gate.blessed

# Approvals are read per signer: the key is the verified identity and role of
# whoever signed, and only that signer's latest decision (by approvedAt)
# counts, so a later GO lifts the same signer's NOGO and a later NOGO
# withdraws its GO.
_approvals contains a if {
	some e in input.evidence
	e.predicateType == types.approval
	p := e.predicate
	a := {
		"key": [object.get(e.signer, "identity", ""), object.get(e.signer, "role", "")],
		"identity": object.get(e.signer, "identity", ""),
		"who": _who(object.get(e.signer, "name", ""), object.get(e.signer, "identity", "")),
		"signer_role": object.get(e.signer, "role", ""),
		"role": object.get(p, "role", ""),
		"decision": object.get(p, "decision", ""),
		"reason": object.get(p, "reason", ""),
		"at": _approved_at(p),
		"expires_at": object.get(p, "expiresAt", ""),
		"waivers": _strings(object.get(p, "waivers", [])),
		"checked": _checked(object.get(p, "checklist", [])),
	}
}

# The checklist items ticked with a link; gate verified the links are https
# URLs, and an item in any other shape is not ticked.
_checked(list) := {c.item |
	some c in list
	is_string(c.item)
	is_string(c.link)
	startswith(c.link, "https://")
} if is_array(list)

else := set()

# The items of required_checks a GO of its role lacks, in the data's order.
_missing_checks(a) := [item |
	some item in object.get(object.get(params, "required_checks", {}), a.role, [])
	not item in a.checked
]

# An unreadable approvedAt is read as the far future (see _current).
_approved_at(p) := t if {
	t := time.parse_rfc3339_ns(p.approvedAt)
} else := _far_future

_far_future := 9223372036854775807

# Approvals signed up to this far ahead of input.now still count: clocks drift.
_max_clock_skew_ns := (5 * 60) * 1000000000

_in_time(a) if a.at <= _now + _max_clock_skew_ns

# The decisions that can be a signer's latest: any NOGO, and anything else
# dated no later than now (give or take the skew). A GO dated in 2099 would
# otherwise stand in front of every later NOGO of its signer; a NOGO dated
# in the future, or with an unreadable date, blocks.
_current contains a if {
	some a in _approvals
	_in_time(a)
}

_current contains a if {
	some a in _approvals
	a.decision == "NOGO"
}

_latest contains a if {
	some a in _current
	a.at == max({b.at | some b in _current; b.key == a.key})
}

# Of two decisions by one signer at the same instant, a NOGO wins.
_vetoed contains a.key if {
	some a in _latest
	a.decision == "NOGO"
}

_counted(a) if {
	a.decision == "GO"
	a.role == a.signer_role
	not a.key in _vetoed
	_in_time(a)
	_unexpired(a)
	_now - a.at <= _max_age_ns
	count(_missing_checks(a)) == 0
}

_unexpired(a) if a.expires_at == ""

_unexpired(a) if time.parse_rfc3339_ns(a.expires_at) > _now

# No max_approval_age means no age limit; an unreadable one is undefined, so
# that no approval counts.
_max_age_ns := _far_future if not _configured("max_approval_age")

_max_age_ns := time.parse_duration_ns(params.max_approval_age) if _configured("max_approval_age")

# Why a latest GO does not count, for the reason a person reads.
_uncounted_why(a) := sprintf("signed by a %s signer", [a.signer_role]) if {
	a.role != a.signer_role
} else := "expired" if {
	not _unexpired(a)
} else := sprintf("older than %v", [params.max_approval_age]) if {
	not _now - a.at <= _max_age_ns
} else := sprintf("missing checklist item %s", [concat(", ", _missing_checks(a))]) if {
	count(_missing_checks(a)) > 0
} else := "outweighed by a NOGO of the same time" if {
	a.key in _vetoed
} else := "not counted"

gates contains {"name": concat("/", ["approval", role]), "passed": passed, "reason": reason} if {
	some role, needed in object.get(params, "approvals", {})
	approvers := {a.identity | some a in _latest; a.role == role; _counted(a)}
	uncounted := array.concat(
		[_uncounted_why(a) | some a in _latest; a.role == role; a.decision == "GO"; not _counted(a)],
		["dated in the future" | some r in _future_gos; r == role],
	)
	passed := count(approvers) >= needed
	reason := sprintf("%s: %v of %v GO approvals%s%s", [
		role, count(approvers), needed,
		_from({a.who | some a in _latest; a.role == role; _counted(a)}), _notes(uncounted),
	])
}

# The role of each GO dated in the future, found once for all roles.
_future_gos := [a.role | some a in _approvals; a.decision == "GO"; a.at > _now + _max_clock_skew_ns]

_from(names) := "" if count(names) == 0

else := sprintf(" from %s", [_list(sort(names))])

# "(1 expired, 2 older than 168h)"
_notes(whys) := "" if count(whys) == 0

else := sprintf(" (%s)", [concat(", ", [sprintf("%v %s", [n, why]) |
	some why in sort({w | some w in whys})
	n := count([w | some w in whys; w == why])
])])

# A NOGO from any signer of a role the params require approvals from blocks,
# whatever its age or expiry: only that signer's later GO lifts it.
gates contains {"name": "nogo", "passed": count(nogos) == 0, "reason": reason} if {
	count(object.get(params, "approvals", {})) > 0
	nogos := sort({sprintf("NOGO from %s (%s): '%s'", [a.signer_role, a.who, a.reason]) |
		some a in _latest
		a.decision == "NOGO"
		a.signer_role in object.keys(params.approvals)
	})
	reason := _nogo_reason(nogos)
}

_nogo_reason(nogos) := sprintf("no NOGO from %s", [concat(", ", sort(object.keys(params.approvals)))]) if {
	count(nogos) == 0
} else := concat("; ", nogos)

# A signer is shown by the name the trust config gives it; without one,
# certificate identities (emails, URIs) read well whole, and key ids
# ("sha256:<hex>") are shortened.
_who(name, identity) := name if name != ""

else := sprintf("key %s…", [substring(identity, 0, 19)]) if {
	startswith(identity, "sha256:")
	count(identity) > 19
} else := identity if {
	regex.match(`[@:]`, identity)
} else := sprintf("key %s", [identity]) if {
	count(identity) <= 12
} else := sprintf("key %s…", [substring(identity, 0, 12)])
