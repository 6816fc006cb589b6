package attestations

// Predicate types gate writes and reads. Standard types are used where one
// exists; gate's own only where none does (coverage and approvals).
const (
	TestResultType = "https://in-toto.io/attestation/test-result/v0.1"
	VulnsType      = "https://in-toto.io/attestation/vulns/v0.2"
	// CosignVulnType is what `cosign attest --type vuln` writes; gate reads it.
	CosignVulnType = "https://cosign.sigstore.dev/attestation/vuln/v1"
	CoverageType   = "https://gatehq.dev/attestation/coverage/v0.1"
	ProvenanceType = "https://slsa.dev/provenance/v1"
	ApprovalType   = "https://gatehq.dev/attestation/approval/v0.1"
	// SPDXType and CycloneDXType are what `cosign attest --type spdxjson`
	// and `--type cyclonedx` write; the predicate is the SBOM document itself.
	SPDXType      = "https://spdx.dev/Document"
	CycloneDXType = "https://cyclonedx.org/bom"
	LoadTestType  = "https://gatehq.dev/attestation/loadtest/v0.1"
)

// Kinds are the short names a config file or a flag may use for a predicate type.
var Kinds = map[string]string{
	"tests":      TestResultType,
	"vulns":      VulnsType,
	"cosignvuln": CosignVulnType,
	"coverage":   CoverageType,
	"provenance": ProvenanceType,
	"approval":   ApprovalType,
	"spdx":       SPDXType,
	"cyclonedx":  CycloneDXType,
	"loadtest":   LoadTestType,
	"vsa":        VSAType,
	"policy":     PolicyBundleType,
}

// ResolveType returns the predicate type a kind names; a full type URI is returned as is.
func ResolveType(kindOrType string) (string, bool) {
	if t, ok := Kinds[kindOrType]; ok {
		return t, true
	}
	for _, t := range Kinds {
		if t == kindOrType {
			return t, true
		}
	}
	return "", false
}
