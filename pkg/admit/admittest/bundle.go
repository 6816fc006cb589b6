package admittest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/config"
	"github.com/google/go-containerregistry/pkg/name"
)

// PolicyOwner is the role of BundleConfig's trust config that may sign
// policy bundles; no other role may.
const PolicyOwner = "policy-owner"

// PushPolicy packs the shipped policy with the data of env (Production or
// Staging), stores it as host/repo:tag, signs it as PolicyOwner, and
// returns its digest.
func (f *Fixture) PushPolicy(t testing.TB, repo, tag, env string) name.Digest {
	t.Helper()
	return f.PushPolicyAs(t, PolicyOwner, repo, tag, env)
}

// PushPolicyAs is PushPolicy signed by role.
func (f *Fixture) PushPolicyAs(t testing.TB, role, repo, tag, env string) name.Digest {
	t.Helper()
	f.policyOwner(t)
	p, err := bundle.Push(context.Background(), f.Client, f.signers[role], f.Host+"/"+repo+":"+tag,
		filepath.Join(f.Dir, "policies"), filepath.Join(f.Dir, env+".json"))
	if err != nil {
		t.Fatalf("pushing the policy bundle: %v", err)
	}
	return p.Digest
}

// policyOwner makes PolicyOwner's key, once.
func (f *Fixture) policyOwner(t testing.TB) {
	t.Helper()
	if f.signers[PolicyOwner] != nil {
		return
	}
	pub, s, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	f.signers[PolicyOwner] = s
	f.write(t, PolicyOwner+".pub", pub)
}

// BundleConfig writes a trust config, beside the fixture's, whose roles are
// the fixture's and PolicyOwner (who may sign policy), and whose production
// environment's policy is policyRef (oci://…, with extra YAML fields such as
// "policyPoll: 1s" in production's flow mapping), and returns its path.
func (f *Fixture) BundleConfig(t testing.TB, policyRef, extra string) string {
	t.Helper()
	f.policyOwner(t)
	if extra != "" {
		extra = ", " + extra
	}
	f.write(t, "bundle.yaml", []byte(`roles:
  ci:           {keys: [ci.pub], maySign: [tests, vulns, cosignvuln, coverage, provenance]}
  module-lead:  {keys: [module-lead.pub], maySign: [approval]}
  qa:           {keys: [qa.pub], maySign: [approval]}
  sre:          {keys: [sre.pub], maySign: [approval]}
  policy-owner: {keys: [policy-owner.pub], maySign: [policy]}
environments:
  production: {policy: "`+policyRef+`"`+extra+`}
  staging:    {policy: policies, data: staging.json}
defaultEnvironment: production
`))
	return filepath.Join(f.Dir, "bundle.yaml")
}

// LoadBundleConfig loads the config at path, fetching policy bundles from the fixture's registry.
func (f *Fixture) LoadBundleConfig(ctx context.Context, path string) (*config.Config, error) {
	return config.Load(ctx, path, config.WithPolicyFetcher(bundle.Fetcher(f.Client)))
}
