package gate.blessed_test

import data.gate.blessed

sbom_params := {
	"require_sbom": true,
	"deny_licenses": ["GPL-3.0-only", "AGPL-3.0-only"],
	"deny_packages": [{"purl": "pkg:golang/golang.org/x/net", "versions": ">=0.1.0, <0.23.0"}, {"purl": "pkg:npm/left-pad"}],
}

component(name, version, purl_type, namespace, license, licenses) := {
	"name": name, "version": version, "purl": sprintf("pkg:%s/%s/%s@%s", [purl_type, namespace, name, version]),
	"type": purl_type, "namespace": namespace, "purlName": name, "license": license, "licenses": licenses,
}

mit(name, version) := component(name, version, "golang", "github.com/acme", "MIT", [["MIT"]])

sbom(format, components) := {
	"predicateType": {"spdx": "https://spdx.dev/Document", "cyclonedx": "https://cyclonedx.org/bom"}[format],
	"signer": ci,
	"predicate": {"format": format, "components": components},
}

sbom_gate(name, evidence) := g if {
	some g in decide(sbom_params, evidence).gates
	g.name == name
}

test_sbom_present_passes_for_either_format if {
	sbom_gate("sbom", [sbom("spdx", [mit("a", "1.0.0")])]).passed
	sbom_gate("sbom", [sbom("cyclonedx", [mit("a", "1.0.0")])]).reason == "1 SBOM of 1 component"
}

test_sbom_missing_fails_with_next if {
	g := sbom_gate("sbom", [coverage(90)])
	not g.passed
	g.reason == "no SBOM (SPDX or CycloneDX)"
	contains(g.next, "gate attest")
	sbom_gate("sbom/licenses", []).reason == "no SBOM to check licences in"
	sbom_gate("sbom/packages", []).reason == "no SBOM to check packages in"
}

test_sbom_fetches_both_types if {
	blessed.predicate_types == {"https://spdx.dev/Document", "https://cyclonedx.org/bom"} with data.gate.params as sbom_params
}

test_license_denied_fails if {
	gpl := component("x", "2.0.0", "golang", "github.com/acme", "GPL-3.0-only", [["GPL-3.0-only"]])
	g := sbom_gate("sbom/licenses", [sbom("spdx", [mit("a", "1.0.0"), gpl])])
	not g.passed
	g.reason == "1 component under a denied licence: x@2.0.0 (GPL-3.0-only)"
	contains(g.next, "deny_licenses")
}

test_license_denied_component_named_once_across_sboms if {
	long := component("x", "2.0.0", "golang", "github.com/acme", "BSD-3-Clause AND GPL-3.0-only AND GPL-3.0-only", [["BSD-3-Clause", "GPL-3.0-only", "GPL-3.0-only"]])
	short := component("x", "2.0.0", "golang", "github.com/acme", "BSD-3-Clause AND GPL-3.0-only", [["BSD-3-Clause", "GPL-3.0-only"]])
	g := sbom_gate("sbom/licenses", [sbom("spdx", [long]), sbom("cyclonedx", [short, short])])
	g.reason == "1 component under a denied licence: x@2.0.0 (BSD-3-Clause AND GPL-3.0-only | BSD-3-Clause AND GPL-3.0-only AND GPL-3.0-only)"
}

test_license_or_passes_when_one_branch_allowed if {
	dual := component("x", "2.0.0", "golang", "github.com/acme", "MIT OR GPL-3.0-only", [["MIT"], ["GPL-3.0-only"]])
	sbom_gate("sbom/licenses", [sbom("cyclonedx", [dual])]).passed
}

test_license_and_fails_when_one_part_denied if {
	both := component("x", "2.0.0", "golang", "github.com/acme", "MIT AND GPL-3.0-only", [["MIT", "GPL-3.0-only"]])
	not sbom_gate("sbom/licenses", [sbom("cyclonedx", [both])]).passed
}

# (MIT OR GPL-3.0-only) AND (AGPL-3.0-only OR Apache-2.0), in normal form as
# report.ParseLicense writes it: MIT with Apache-2.0 is a way to use it.
test_license_parenthesised_expression if {
	x := component("x", "2.0.0", "golang", "github.com/acme", "(MIT OR GPL-3.0-only) AND (AGPL-3.0-only OR Apache-2.0)", [
		["MIT", "AGPL-3.0-only"], ["MIT", "Apache-2.0"],
		["GPL-3.0-only", "AGPL-3.0-only"], ["GPL-3.0-only", "Apache-2.0"],
	])
	sbom_gate("sbom/licenses", [sbom("spdx", [x])]).passed

	# MIT AND (GPL-3.0-only OR AGPL-3.0-only): every way includes a denied one.
	y := component("y", "1.0.0", "golang", "github.com/acme", "MIT AND (GPL-3.0-only OR AGPL-3.0-only)", [["MIT", "GPL-3.0-only"], ["MIT", "AGPL-3.0-only"]])
	not sbom_gate("sbom/licenses", [sbom("spdx", [y])]).passed
}

test_license_or_later_and_exception_count_as_their_licence if {
	plus := component("p", "1.0.0", "golang", "github.com/acme", "GPL-3.0-only+", [["GPL-3.0-only+"]])
	with_exc := component("w", "1.0.0", "golang", "github.com/acme", "AGPL-3.0-only WITH x", [["AGPL-3.0-only WITH x"]])
	g := sbom_gate("sbom/licenses", [sbom("spdx", [plus, with_exc])])
	g.reason == "2 components under a denied licence: p@1.0.0 (GPL-3.0-only+), w@1.0.0 (AGPL-3.0-only WITH x)"
}

test_package_in_range_fails if {
	net := component("net", "v0.22.0", "golang", "golang.org/x", "BSD-3-Clause", [["BSD-3-Clause"]])
	g := sbom_gate("sbom/packages", [sbom("spdx", [mit("a", "1.0.0"), net])])
	not g.passed
	g.reason == "1 package denied: net@v0.22.0 (denied: pkg:golang/golang.org/x/net >=0.1.0, <0.23.0)"
	contains(g.next, "deny_packages")
}

test_package_out_of_range_passes if {
	fixed := component("net", "v0.23.0", "golang", "golang.org/x", "BSD-3-Clause", [["BSD-3-Clause"]])
	old := component("net", "v0.0.9", "golang", "golang.org/x", "BSD-3-Clause", [["BSD-3-Clause"]])
	other := component("net", "v0.22.0", "golang", "example.com/x", "BSD-3-Clause", [["BSD-3-Clause"]])
	sbom_gate("sbom/packages", [sbom("cyclonedx", [fixed, old, other])]).passed
}

test_package_any_version_and_unplaceable_version_fail if {
	pad := {"name": "left-pad", "version": "1.3.0", "type": "npm", "namespace": "", "purlName": "left-pad"}
	not sbom_gate("sbom/packages", [sbom("cyclonedx", [pad])]).passed

	# A version that is not semver cannot be shown out of range: fail closed.
	odd := component("net", "0.0.0-weird+junk~", "golang", "golang.org/x", "MIT", [["MIT"]])
	not sbom_gate("sbom/packages", [sbom("cyclonedx", [odd])]).passed
}

test_sbom_params_checked if {
	d := decide({"require_sbom": "yes", "deny_licenses": "GPL-3.0-only", "deny_packages": [{"purl": "left-pad", "versions": "~1"}]}, [])
	some g in d.gates
	g.name == "params"
	g.reason == "deny_licenses must be a list of SPDX licence ids; deny_packages must be a list of {purl, versions} with purls such as pkg:golang/golang.org/x/net; require_sbom must be true or false"
}
