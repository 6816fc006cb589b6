package scaffold

import (
	"fmt"
	"strings"
)

// production is the team's production data: every gate of the shipped
// policy, one GO from each stakeholder role.
func (o Options) production() map[string]any {
	approvals := map[string]any{}
	for _, r := range o.approvers() {
		approvals[r] = 1
	}
	p := map[string]any{
		"required_tests":   []string{"unit", "integration"},
		"min_coverage":     o.MinCoverage,
		"deny_severity":    "HIGH",
		"approvals":        approvals,
		"max_approval_age": "168h",
	}
	if o.BuilderID != "" {
		p["provenance"] = map[string]any{"builders": []string{o.BuilderID}, "sources": []string{o.Source}}
	}
	return p
}

// staging asks less: unit tests, and no approvals.
func (o Options) staging() map[string]any {
	return map[string]any{"required_tests": []string{"unit"}, "min_coverage": o.MinCoverage * 3 / 4, "deny_severity": "CRITICAL"}
}

// trustConfig is gate.yaml with every knob explained where it is set. JSON
// has no comments, so the data files' knobs are explained here too.
func (o Options) trustConfig() string {
	var b strings.Builder
	b.WriteString(`# gate trust config, written by gate init: who may sign what, and which policy
# each environment applies. Paths are relative to this file.
# Use it with --config (or $GATE_CONFIG):  gate verify IMAGE --config ` + "gate.yaml" + `

roles:
`)
	for _, role := range o.Roles {
		if role == PipelineRole {
			b.WriteString(`  # The pipeline: one key for every stage, used by gate attest.
  # maySign: predicate type URIs or their short kinds
  # (tests, vulns, cosignvuln, coverage, provenance, approval).
`)
			fmt.Fprintf(&b, "  %s:\n    keys: [keys/%s.pub]\n    maySign: [tests, vulns, cosignvuln, coverage, provenance]\n", role, role)
			continue
		}
		fmt.Fprintf(&b, `  # A stakeholder who signs GO/NOGO with gate approve --role %[1]s.
  # Several people: list each one's public key; a key belongs to one role.
  %[1]s:
    keys: [keys/%[1]s.pub]
    # Keyless signers instead of (or as well as) keys, checked against trustedRoot:
    # identities:
    #   - {issuer: https://token.actions.githubusercontent.com, subjectRegexp: '^https://github.com/ORG/.*$'}
    maySign: [approval]
`, role)
	}
	b.WriteString(`
# A Sigstore trusted root file, needed only for identities:
# trustedRoot: trusted_root.json

# Each environment: a policy directory and its data (JSON, checked against
# policies/data/schema.json by gate policy lint). The data's knobs:
#   required_tests    stages whose test report must be attested and pass (--stage of gate attest)
#   min_coverage      lowest coverage percent allowed
#   deny_severity     a vulnerability at or above this blocks unless a GO waives it (--waive)
#   provenance        builders and sources a SLSA provenance must name (--builder-id, --source)
#   approvals         role -> how many distinct signers of that role must say GO
#   max_approval_age  a GO older than this no longer counts (Go duration, e.g. 168h)
#   required_checks   role -> checklist items its GO must carry (gate approve --check ITEM=URL)
#   max_age           predicate type -> how old its newest evidence may be (e.g. 168h for a scan)
#   same_source_commit  true: tests, coverage and provenance name one commit (gate attest --commit)
# A knob left out is a gate not required; no knob at all blesses nothing.
environments:
  staging:
    policy: policies
    data: policies/data/staging.json
  production:
    policy: policies
    data: policies/data/production.json
defaultEnvironment: production

# Read cosign's legacy sha256-<digest>.att attestations too (default true).
legacy: true
`)
	return b.String()
}
