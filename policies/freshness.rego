package gate.blessed

# Freshness: max_age gives, per predicate type, how old the newest evidence
# of that type may be. Its age is read from the time signed inside the
# predicate (see _signed_at), else from the time a log or timestamp
# authority vouches for; a key-signed bundle carries no such time, so
# key-signed evidence without a time inside cannot be shown fresh and the
# gate fails, saying so.

_max_ages := object.get(params, "max_age", {}) if is_object(object.get(params, "max_age", {}))

else := {}

# A type with a maximum age must be fetched, and present.
predicate_types contains t if some t, _ in _max_ages

gates contains {"name": concat("/", ["freshness", _short(t)]), "passed": passed, "reason": reason} if {
	some t, limit in _max_ages
	[passed, reason] := _freshness(t, limit, time.parse_duration_ns(limit))
}

# The short name of a type gate knows ("vulns"), else the type itself.
_short(t) := name if {
	some name, type in types
	type == t
} else := t

_of_type(t) := [e | some e in input.evidence; e.predicateType == t]

# The signed times of t's evidence in nanoseconds, those dated past now
# (and the clock skew) left out: a time in the future would stay fresh.
_times(t) := [ns |
	some e in _of_type(t)
	ns := time.parse_rfc3339_ns(_evidence_time(e))
	ns <= _now + _max_clock_skew_ns
]

_freshness(t, limit, limit_ns) := [false, sprintf("no %s evidence", [_short(t)])] if {
	count(_of_type(t)) == 0
} else := [false, sprintf("%s: none of %s has a signed time in the past, so its age cannot be established", [_short(t), _plural(count(_of_type(t)), "attestation")])] if {
	count(_times(t)) == 0
} else := [true, sprintf("%s: the newest is %s old, within %s", [_short(t), _age(_now - max(_times(t))), limit])] if {
	_now - max(_times(t)) <= limit_ns
} else := [false, sprintf("%s: the newest is %s old, older than %s", [_short(t), _age(_now - max(_times(t))), limit])]

# The time inside the predicate where its format has one, else the time a
# transparency log or timestamp authority vouches for (signedAt, present
# only for keyless bundles).
_evidence_time(e) := t if {
	t := _signed_at(e)
	t != ""
} else := object.get(e, "signedAt", "")

# The time a predicate's own signed content gives for when its evidence was
# made, "" when its format has none.
_signed_at(e) := object.get(e.predicate, ["metadata", "scanFinishedOn"], "") if {
	e.predicateType in {types.vulns, types.cosign_vuln}
} else := object.get(e.predicate, ["runDetails", "metadata", "finishedOn"], "") if {
	e.predicateType == types.provenance
} else := object.get(e.predicate, "approvedAt", "") if {
	e.predicateType == types.approval
} else := object.get(e.predicate, "attestedAt", "") if {
	e.predicateType == types.coverage
} else := _test_run_attested_at(e.predicate) if {
	e.predicateType == types.test_result
} else := ""

_test_run_attested_at(p) := a.annotations.attestedAt if {
	some a in object.get(p, "configuration", [])
	a.name == "gate:test-run"
} else := ""

_hour_ns := (60 * 60) * 1000000000

# "9d2h", "5h12m", "40m": an age as a person reads it, rounded down.
_age(ns) := sprintf("%vd%vh", [floor(ns / (24 * _hour_ns)), floor(ns / _hour_ns) % 24]) if {
	ns >= 24 * _hour_ns
} else := sprintf("%vh%vm", [floor(ns / _hour_ns), floor(ns / (_hour_ns / 60)) % 60]) if {
	ns >= _hour_ns
} else := sprintf("%vm", [floor(ns / (_hour_ns / 60))])
