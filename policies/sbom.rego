package gate.blessed

# SBOM gates: require_sbom, deny_licenses, deny_packages. gate's Go code
# (report.NormalizeSBOM) reduces SPDX and CycloneDX alike to
# {"format", "components": [{name, version, purl, type, namespace,
# purlName, license, licenses}]}, where licenses is the licence expression in
# disjunctive normal form: any one inner list, all of whose licences apply.

sbom_types := {"https://spdx.dev/Document", "https://cyclonedx.org/bom"}

_known_params contains key if some key in {"require_sbom", "deny_licenses", "deny_packages"}

predicate_types contains t if {
	some key in {"require_sbom", "deny_licenses", "deny_packages"}
	_configured(key)
	some t in sbom_types
}

_sboms := [s | some t in sbom_types; some s in _predicates(t)]

_components := [c | some s in _sboms; some c in s.components]

gates contains {
	"name": "sbom",
	"passed": passed,
	"reason": reason,
	"next": "attest an SBOM: syft -o spdx-json . > sbom.json && gate attest IMAGE --report sbom.json --key KEY",
} if {
	params.require_sbom == true
	[passed, reason] := _sbom_present
}

_sbom_present := [false, "no SBOM (SPDX or CycloneDX)"] if count(_sboms) == 0

else := [true, sprintf("%s of %s", [_plural(count(_sboms), "SBOM"), _plural(count(_components), "component")])]

# A component is under a denied licence when every way it may be used
# includes one: "MIT OR GPL-3.0-only" passes if GPL-3.0-only is denied,
# "MIT AND GPL-3.0-only" does not.
_license_denied(c) if {
	count(c.licenses) > 0
	every alternative in c.licenses {
		some term in alternative
		_term_denied(term)
	}
}

# A term is denied by its id, by its id without an "or later" +, or by the
# licence an exception is granted on (fail closed: an exception widens use,
# but which ones do is not gate's to judge).
_term_denied(term) if term in params.deny_licenses

_term_denied(term) if trim_suffix(term, "+") in params.deny_licenses

_term_denied(term) if split(term, " WITH ")[0] in params.deny_licenses

# A component under a denied licence is named once, however many SBOMs list it, with each
# licence expression they give it (syft's SPDX and CycloneDX may write one licence twice).
_license_denied_by_id[id] contains c.license if {
	some c in _components
	_license_denied(c)
	id := sprintf("%s@%s", [c.name, object.get(c, "version", "")])
}

_license_offenders contains sprintf("%s (%s)", [id, concat(" | ", sort(licenses))]) if {
	some id, licenses in _license_denied_by_id
}

gates contains {
	"name": "sbom/licenses",
	"passed": passed,
	"reason": reason,
	"next": "replace the components named, or change `deny_licenses` in the environment's data (policies/data/*.json)",
} if {
	_configured("deny_licenses")
	[passed, reason] := _licenses_verdict
}

_licenses_verdict := [false, "no SBOM to check licences in"] if {
	count(_sboms) == 0
} else := [false, sprintf("%s under a denied licence: %s", [_plural(count(_license_offenders), "component"), _list(sort(_license_offenders))])] if {
	count(_license_offenders) > 0
} else := [true, sprintf("no component of %v under a denied licence", [count(_components)])]

# deny_packages entries: {"purl": "pkg:TYPE/NAMESPACE/NAME", "versions": "<1.2.3"};
# versions is a comma-separated list of comparisons (<, <=, >, >=, =) that
# all hold, and absent means every version.
_purl_parts(purl) := {"type": parts[0], "namespace": concat("/", array.slice(parts, 1, count(parts) - 1)), "name": parts[count(parts) - 1]} if {
	plain := split(split(trim_prefix(purl, "pkg:"), "@")[0], "?")[0]
	parts := split(plain, "/")
	count(parts) >= 2
}

_package_matches(c, rule) if {
	want := _purl_parts(rule.purl)
	c.type == want.type
	object.get(c, "namespace", "") == want.namespace
	c.purlName == want.name
	_in_range(object.get(c, "version", ""), object.get(rule, "versions", ""))
}

_in_range(_, "")

_in_range(version, range) if {
	range != ""
	every cmp in split(range, ",") {
		_holds(_semver(version), trim_space(cmp))
	}
}

# A version that is not semver cannot be placed in a range: it counts as in it.
_in_range(version, range) if {
	range != ""
	not _semver(version)
}

_semver(v) := s if {
	s := trim_prefix(v, "v")
	semver.is_valid(s)
}

_holds(v, cmp) if {
	startswith(cmp, "<=")
	semver.compare(v, _semver(trim_space(trim_prefix(cmp, "<=")))) <= 0
} else if {
	startswith(cmp, ">=")
	semver.compare(v, _semver(trim_space(trim_prefix(cmp, ">=")))) >= 0
} else if {
	startswith(cmp, "<")
	semver.compare(v, _semver(trim_space(trim_prefix(cmp, "<")))) < 0
} else if {
	startswith(cmp, ">")
	semver.compare(v, _semver(trim_space(trim_prefix(cmp, ">")))) > 0
} else if {
	startswith(cmp, "=")
	semver.compare(v, _semver(trim_space(trim_prefix(cmp, "=")))) == 0
}

_package_offenders contains sprintf("%s@%s (denied: %s %s)", [c.purlName, object.get(c, "version", ""), rule.purl, object.get(rule, "versions", "any version")]) if {
	some c in _components
	some rule in params.deny_packages
	_package_matches(c, rule)
}

gates contains {
	"name": "sbom/packages",
	"passed": passed,
	"reason": reason,
	"next": "upgrade or remove the packages named, or change `deny_packages` in the environment's data (policies/data/*.json)",
} if {
	_configured("deny_packages")
	[passed, reason] := _packages_verdict
}

_packages_verdict := [false, "no SBOM to check packages in"] if {
	count(_sboms) == 0
} else := [false, sprintf("%s denied: %s", [_plural(count(_package_offenders), "package"), _list(sort(_package_offenders))])] if {
	count(_package_offenders) > 0
} else := [true, sprintf("no component of %v is a denied package", [count(_components)])]

_param_problems contains "require_sbom must be true or false" if {
	_configured("require_sbom")
	not is_boolean(params.require_sbom)
}

_param_problems contains "deny_licenses must be a list of SPDX licence ids" if {
	_configured("deny_licenses")
	not _string_list(params.deny_licenses)
}

_param_problems contains "deny_packages must be a list of {purl, versions} with purls such as pkg:golang/golang.org/x/net" if {
	_configured("deny_packages")
	not _deny_packages_params
}

_deny_packages_params if {
	is_array(params.deny_packages)
	every rule in params.deny_packages {
		is_string(rule.purl)
		_purl_parts(rule.purl)
		is_string(object.get(rule, "versions", ""))
		every k in object.keys(rule) {
			k in {"purl", "versions"}
		}
		_range_params(object.get(rule, "versions", ""))
	}
}

_range_params("")

_range_params(range) if {
	range != ""
	every cmp in split(range, ",") {
		c := trim_space(cmp)
		_semver(trim_space(trim_left(c, "<>=")))
		regex.match(`^(<=|>=|<|>|=)`, c)
	}
}
