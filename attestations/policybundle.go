package attestations

// PolicyBundleType is gate's predicate for a signed policy bundle: the
// statement's subject is the manifest digest of an OPA bundle stored as an
// OCI artifact, and its signer vouches that environments may decide with it.
// No standard predicate says "this policy may be used"; a role signs it only
// if its maySign lists "policy".
const PolicyBundleType = "https://gatehq.dev/policy-bundle/v1"

// PolicyBundle is the predicate of a policy bundle's statement: what was
// packed, so that a person reading the attestation sees what was signed.
type PolicyBundle struct {
	// Files are the bundle's paths, sorted: its .rego files and data.json.
	Files []string `json:"files"`
	// Layer is the digest of the bundle's tar.gz layer.
	Layer string `json:"layer"`
}
