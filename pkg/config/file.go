package config

// File is the trust config as written. Paths in it are relative to the file.
type File struct {
	// Roles maps a role name (ci, module-lead, qa, sre, …) to who holds it.
	Roles map[string]Role `yaml:"roles"`
	// TrustedRoot is a Sigstore trusted root file; needed only for identities.
	TrustedRoot string `yaml:"trustedRoot"`
	// Environments maps an environment name to the policy it applies.
	Environments map[string]EnvironmentSpec `yaml:"environments"`
	// DefaultEnvironment is used when a command names none.
	DefaultEnvironment string `yaml:"defaultEnvironment"`
	// Legacy, when false, stops gate from reading cosign's legacy .att tags.
	Legacy *bool `yaml:"legacy"`
	// MultiSubject lists the predicate types (or kinds) whose statements may
	// name more than one subject; every other type must name exactly one.
	// Absent, it is [provenance].
	MultiSubject *[]string `yaml:"multiSubject"`
	// Freeze says where environments' freezes are kept and who may sign them.
	Freeze *FreezeSpec `yaml:"freeze"`
	// PolicyPoll is how often a server asks where the followed tag of an
	// oci:// policy points (a Go duration; absent, 1m). An environment's
	// own policyPoll overrides it.
	PolicyPoll string `yaml:"policyPoll"`
}

// Role is who holds a role, and what they may sign.
type Role struct {
	// Keys are public key files, as `cosign generate-key-pair` writes them.
	Keys []string `yaml:"keys"`
	// Identities are certificate identities, checked against TrustedRoot.
	Identities []Identity `yaml:"identities"`
	// MaySign lists predicate types (or their short kinds: tests, vulns,
	// cosignvuln, coverage, provenance, approval) this role may sign.
	MaySign []string `yaml:"maySign"`
}

// Identity is a certificate identity: an OIDC issuer and a subject (the
// certificate's SAN), each matched exactly or by regular expression.
type Identity struct {
	Issuer        string `yaml:"issuer"`
	IssuerRegexp  string `yaml:"issuerRegexp"`
	Subject       string `yaml:"subject"`
	SubjectRegexp string `yaml:"subjectRegexp"`
}

// EnvironmentSpec is a policy directory and the data it is configured with,
// or a signed policy bundle (oci://REG/REPO@sha256:… pinned, or
// oci://REG/REPO:TAG followed), which carries its own data.
type EnvironmentSpec struct {
	Policy     string `yaml:"policy"`
	Data       string `yaml:"data"`
	PolicyPoll string `yaml:"policyPoll"`
	// FastPath lets the webhook take a fresh VSA for a verification; absent, it verifies every time.
	FastPath *FastPathSpec `yaml:"fastPath"`
}
