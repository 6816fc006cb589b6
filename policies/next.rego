package gate.blessed

# What would pass a failed gate: one line a person can act on, kept in the
# decision as the gate's "next" so that gate verify, its JSON and the
# admission webhook's denial all say it. IMAGE, KEY and REPORT are for the
# reader to fill in; the decision does not depend on how the image was named.

_explained(g) := g if g.passed

# A gate that says its own next step (sbom, loadtest, predicate/…) keeps it.
else := g if g.next

else := object.union(g, {"next": _next(g)})

_env := object.get(input, "environment", "")

# Where a knob is set: the environment's data file, named through gate.yaml
# because the policy does not know the file's path.
_data := sprintf("the %s policy data (gate.yaml environments.%s.data)", [_env, _env])

_knob(key) := sprintf("`%s` in %s", [key, _data])

_approve(role) := sprintf("`gate approve IMAGE --key KEY --role %s --decision go --reason …`", [role])

_next(g) := _next_tests(substring(g.name, 6, -1)) if {
	startswith(g.name, "tests/")
} else := _next_coverage if {
	g.name == "coverage"
} else := _next_vulns if {
	g.name == "vulnerabilities"
} else := _next_provenance if {
	g.name == "provenance"
} else := _next_approval(substring(g.name, 9, -1)) if {
	startswith(g.name, "approval/")
} else := _next_nogo if {
	g.name == "nogo"
} else := _next_freshness(substring(g.name, 10, -1)) if {
	startswith(g.name, "freshness/")
} else := _next_commits if {
	g.name == "same-source-commit"
} else := sprintf("fix %s as the reason says; `gate policy lint POLICY_DIR` checks it against data/schema.json", [_data]) if {
	g.name == "params"
} else := "see this gate's reason and its rule in the policy"

_next_tests(stage) := sprintf("attest the %s tests' report: `gate attest IMAGE --key KEY --report REPORT --stage %s`", [stage, stage]) if {
	count(object.get(_test_runs, stage, set())) == 0
} else := sprintf("make the %s tests pass in a new build and attest that run: `gate attest IMAGE --key KEY --report REPORT --stage %s`", [stage, stage])

_next_coverage := "attest a coverage report (Go cover profile, LCOV, Cobertura): `gate attest IMAGE --key KEY --report cover.out`" if {
	count(_predicates(types.coverage)) == 0
} else := "attest a coverage report that states a percent (Go cover profile, LCOV, Cobertura)" if {
	_coverage_unreadable > 0
} else := sprintf("raise coverage to %v%% in a new build, or lower %s", [params.min_coverage, _knob("min_coverage")])

_next_vulns := sprintf("set %s to one of %s", [_knob("deny_severity"), concat(", ", sort(object.keys(severity_rank)))]) if {
	not params.deny_severity in object.keys(severity_rank)
} else := "attest a vulnerability scan (Trivy or Grype JSON, SARIF): `gate attest IMAGE --key KEY --report trivy.json`" if {
	count(_scans) == 0
} else := sprintf("fix them in a new build, or have a required role's GO waive them: %s --waive %s", [_approve(_waiver_role), _first_blocking]) if {
	_first_blocking
} else := "fix the findings in a new build, or waive them in a GO (`gate approve … --waive ID`)"

_first_blocking := ids[0] if {
	ids := [f[1] | some f in _at_or_above(params.deny_severity); not f[1] in _waived]
	count(ids) > 0
}

# A role whose GO can carry a waiver: one the params require approvals from.
_waiver_role := sort(object.keys(object.get(params, "approvals", {})))[0] if {
	count(object.get(params, "approvals", {})) > 0
} else := "ROLE"

_next_provenance := "attest the build's provenance: `gate attest IMAGE --key KEY --provenance --builder-id ID --source URI --commit FULL_SHA`" if {
	count(_predicates(types.provenance)) == 0
} else := sprintf("build with a trusted builder, or add yours to %s", [_knob("provenance.builders")]) if {
	every b in _builders {
		not b in params.provenance.builders
	}
} else := sprintf("build from a trusted source, or add it to %s", [_knob("provenance.sources")])

_next_approval(role) := sprintf("a GO from %s lacks checklist item %s: say GO again with it ticked, %s", [role, _unchecked(role)[0], _approve_checked(role, _unchecked(role))]) if {
	count(_unchecked(role)) > 0
} else := sprintf("%s has not said GO: %s", [role, _approve_checked(role, _required_checks(role))]) if {
	_missing_gos(role) == 1
	params.approvals[role] == 1
} else := sprintf("%v more GO from %s signers, each with their own key: %s", [_missing_gos(role), role, _approve_checked(role, _required_checks(role))])

_required_checks(role) := object.get(object.get(params, "required_checks", {}), role, [])

# The items some latest GO of role lacks.
_unchecked(role) := sort({item |
	some a in _latest
	a.role == role
	a.decision == "GO"
	a.role == a.signer_role
	some item in _missing_checks(a)
})

# The approve command, with a --check for each item role must tick.
_approve_checked(role, items) := _approve(role) if {
	count(items) == 0
} else := sprintf("`gate approve IMAGE --key KEY --role %s --decision go --reason … %s`", [role, concat(" ", [sprintf("--check %s=URL", [i]) | some i in items])])

_missing_gos(role) := params.approvals[role] - count({a.identity | some a in _latest; a.role == role; _counted(a)})

_next_nogo := sprintf("a NOGO stands until its signer says GO with the same key: %s", [_approve(roles[0])]) if {
	roles := sort({a.signer_role |
		some a in _latest
		a.decision == "NOGO"
		a.signer_role in object.keys(params.approvals)
	})
	count(roles) > 0
} else := "a NOGO stands until its signer says GO with the same key"

_next_freshness(short) := sprintf("attest %s evidence about this image, made by a new run of its stage", [short]) if {
	count(_of_type(_type_named(short))) == 0
} else := sprintf("attest %s evidence again with a gate that signs its time inside it (gate attest records it; see policies/README.md, Freshness)", [short]) if {
	count(_times(_type_named(short))) == 0
} else := sprintf("run that stage again and attest its new evidence, or raise %s", [_knob(sprintf("max_age[\"%s\"]", [_type_named(short)]))])

_type_named(short) := object.get(types, short, short)

_next_commits := "attest the tests and coverage of the commit the image was built from, with the same `--commit FULL_SHA` as its provenance: `gate attest IMAGE --key KEY --report REPORT --commit FULL_SHA`" if {
	some [_, ""] in _commits
} else := "attest the tests, coverage and provenance of the image's build, naming its commit (`gate attest IMAGE --key KEY --report REPORT --stage STAGE --commit FULL_SHA`)" if {
	count(_commits) == 0
} else := "rebuild, test and measure one commit, and attest each with `--commit FULL_SHA` (git rev-parse HEAD); evidence of another commit belongs to another image"
