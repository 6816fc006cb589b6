package gate.blessed

# A provenance passes when one statement names both a trusted builder and a
# trusted source among its resolved dependencies.
_trusted_builds contains [builder, uri] if {
	some p in _predicates(types.provenance)
	builder := p.runDetails.builder.id
	builder in params.provenance.builders
	some dep in p.buildDefinition.resolvedDependencies
	uri := dep.uri
	some source in params.provenance.sources
	_from_source(uri, source)
}

# A dependency URI names a source when it is the source itself or the source
# pinned with "@<ref>" (git+https://github.com/acme/app@refs/heads/main).
# Comparing prefixes up to "@" keeps git+https://github.com/acme/app-fork out.
_from_source(uri, source) if uri == source

_from_source(uri, source) if startswith(uri, concat("", [source, "@"]))

_builders contains b if {
	some p in _predicates(types.provenance)
	b := p.runDetails.builder.id
}

gates contains {"name": "provenance", "passed": passed, "reason": reason} if {
	_configured("provenance")
	[passed, reason] := _provenance_verdict
}

_provenance_verdict := [false, "no SLSA provenance"] if {
	count(_predicates(types.provenance)) == 0
} else := [true, sprintf("built by %s from %s", [build[0], build[1]])] if {
	builds := sort(_trusted_builds)
	build := builds[0]
} else := [false, "provenance names no builder"] if {
	count(_builders) == 0
} else := [false, sprintf("built by %s, not a trusted builder", [_list(sort(_builders))])] if {
	every b in _builders {
		not b in params.provenance.builders
	}
} else := [false, "provenance from a trusted builder names no dependency"] if {
	count(_untrusted_sources) == 0
} else := [false, sprintf("built from %s, not a trusted source", [_list(_untrusted_sources)])]

_untrusted_sources := sort({dep.uri |
	some p in _predicates(types.provenance)
	p.runDetails.builder.id in params.provenance.builders
	some dep in p.buildDefinition.resolvedDependencies
})
