package gate.blessed

# Rules across evidence: with same_source_commit true, the tests, the
# coverage and the provenance of an image must all name one source commit,
# so that what was tested and measured is what was built. A scan names none
# and needs none: it is of the image digest it is signed for.

# [what, commit] for each piece of evidence that carries a commit; "" when
# it carries none. The provenance's commit is the gitCommit of its resolved
# dependencies from a trusted source (provenance.sources), or of all of them
# when no source is configured.
_commits contains [sprintf("tests/%v", [c.annotations.stage]), lower(object.get(c.annotations, "commit", ""))] if {
	some p in _predicates(types.test_result)
	some c in p.configuration
	c.name == "gate:test-run"
}

_commits contains ["coverage", lower(object.get(p, "commit", ""))] if {
	some p in _predicates(types.coverage)
}

_commits contains ["provenance", lower(object.get(dep, ["digest", "gitCommit"], ""))] if {
	some p in _predicates(types.provenance)
	some dep in p.buildDefinition.resolvedDependencies
	_commit_source(dep.uri)
}

_commit_source(_) if not _configured("provenance")

_commit_source(uri) if {
	some source in params.provenance.sources
	_from_source(uri, source)
}

_named_commits := {c | some [_, c] in _commits; c != ""}

_short_commit(c) := sprintf("%s…", [substring(c, 0, 12)]) if count(c) > 12

else := c

gates contains {"name": "same-source-commit", "passed": passed, "reason": reason} if {
	params.same_source_commit == true
	[passed, reason] := _same_commit_verdict
}

_same_commit_verdict := [false, "no tests, coverage or provenance name a commit"] if {
	count(_commits) == 0
} else := [false, sprintf("%s name no commit", [_list(sort({w | some [w, c] in _commits; c == ""}))])] if {
	some [_, ""] in _commits
} else := [false, concat("; ", [sprintf("%s names %s", [concat(", ", sort({w | some [w, c2] in _commits; c2 == c})), _short_commit(c)]) | some c in sort(_named_commits)])] if {
	count(_named_commits) > 1
} else := [true, sprintf("%s all name commit %s", [_list(sort({w | some [w, _] in _commits})), _short_commit(sort(_named_commits)[0])])]

predicate_types contains t if {
	params.same_source_commit == true
	some t in [types.test_result, types.coverage, types.provenance]
}
