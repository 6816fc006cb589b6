package gate.blessed

# Severity ranks. UNKNOWN (the scanner gave no usable severity) ranks above
# NEGLIGIBLE and below LOW: it blocks only when deny_severity is UNKNOWN or
# NEGLIGIBLE. A finding without a "gate" severity is UNKNOWN.
severity_rank := {
	"CRITICAL": 5,
	"HIGH": 4,
	"MEDIUM": 3,
	"LOW": 2,
	"UNKNOWN": 1,
	"NEGLIGIBLE": 0,
}

# gate's Go code normalizes cosign's vuln predicate to the vulns v0.2 shape.
_scans := _predicates(types.vulns) | _predicates(types.cosign_vuln)

# gate writes its normalized severity first; the scan of a fat image has
# thousands of findings, so that is looked at before searching.
_gate_severity(severities) := severities[0].score if {
	severities[0].method == "gate"
	is_number(severity_rank[severities[0].score])
} else := s if {
	scores := [x.score | some x in severities; x.method == "gate"; x.score in object.keys(severity_rank)]
	s := scores[0]
} else := "UNKNOWN"

# The package a finding is in, from the annotation gate's normalizer writes.
_package(v) := p if {
	packages := [a.package | some a in v.annotations; is_string(a.package)]
	p := packages[0]
} else := ""

# Waivers count only from approvals that count (see approvals.rego).
_waived contains id if {
	some a in _latest
	_counted(a)
	some id in a.waivers
}

gates contains {"name": "vulnerabilities", "passed": passed, "reason": reason} if {
	_configured("deny_severity")
	[passed, reason] := _vulns_verdict(params.deny_severity)
}

_vulns_verdict(deny) := [false, sprintf("deny_severity %v is not one of %s", [deny, concat(", ", object.keys(severity_rank))])] if {
	not deny in object.keys(severity_rank)
} else := [false, "no vulnerability scan"] if {
	count(_scans) == 0
} else := [false, sprintf("%s %s not waived", [_list(blocking), _is_are(blocking)])] if {
	blocking := [_finding(f) | some f in _at_or_above(deny); not f[1] in _waived]
	count(blocking) > 0
} else := [true, sprintf("no unwaived finding at or above %s in %s%s", [deny, _plural(count(_scans), "scan"), _waived_note(deny)])]

# Findings at or above deny, worst first, as [-rank, id, package, severity]
# tuples: sorting tuples keeps this linear in the findings after the sort.
_at_or_above(deny) := sorted if {
	threshold := severity_rank[deny]
	sorted := sort({[0 - rank, object.get(v, "id", ""), _package(v), severity] |
		some scan in _scans
		some v in scan.scanner.result
		severity := _gate_severity(v.severity)
		rank := severity_rank[severity]
		rank >= threshold
	})
}

_finding(f) := sprintf("%s (%s) in %s", [f[1], f[3], f[2]]) if f[2] != ""

else := sprintf("%s (%s)", [f[1], f[3]])

_is_are(items) := "is" if count(items) == 1

else := "are"

_waived_note(deny) := sprintf(" (waived: %s)", [_list(waived)]) if {
	waived := [_finding(f) | some f in _at_or_above(deny); f[1] in _waived]
	count(waived) > 0
} else := ""
