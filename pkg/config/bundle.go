package config

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/policy"
	"github.com/google/go-containerregistry/pkg/name"
)

// BundleScheme begins an environment's policy when it names a signed policy
// bundle in a registry rather than a directory.
const BundleScheme = "oci://"

// DefaultPolicyPoll is how often a server asks the registry where a
// followed policy tag points: a minute keeps a rollout of a new policy to a
// minute while costing one HEAD request per environment per minute.
const DefaultPolicyPoll = time.Minute

// Bundle is where an environment's policy bundle is, checked.
type Bundle struct {
	// Ref is the bundle's reference without the scheme: reg/repo@sha256:…
	// when pinned, reg/repo:tag when followed.
	Ref string
	// Pinned says Ref is a digest: the policy never changes without a new
	// config. A followed tag is asked again every Poll.
	Pinned bool
	Poll   time.Duration
}

// PolicyFetcher resolves, verifies and compiles the policy bundle ref names
// (without the scheme), trusting whom cfg's trust config trusts to sign
// policies, with params from the bundle's own data. It never returns a
// policy it could not verify.
type PolicyFetcher func(ctx context.Context, cfg *Config, ref string) (*policy.Policy, error)

// WithPolicyFetcher has Load fetch the environments whose policy is an
// oci:// bundle with f. Without it, Load refuses such an environment: a
// policy nobody verified never decides.
func WithPolicyFetcher(f PolicyFetcher) Option {
	return func(o *options) { o.fetch = f }
}

// IsBundle reports whether an environment's policy, as written, names a
// policy bundle, and returns the reference without the scheme.
func IsBundle(policy string) (string, bool) {
	return strings.CutPrefix(policy, BundleScheme)
}

// bundle checks the bundle spec of environment name.
func (l *loader) bundle(f *File, env string, ref string) (*Bundle, error) {
	e := f.Environments[env]
	field := "environments." + env
	if e.Data != "" {
		return nil, l.fail(field+".data", "a policy bundle carries its own data: remove data, or name a policy directory instead of %s%s", BundleScheme, ref)
	}
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return nil, l.fail(field+".policy", "%s%s is not a registry reference (want oci://REG/REPO@sha256:… or oci://REG/REPO:TAG): %w", BundleScheme, ref, err)
	}
	_, pinned := r.(name.Digest)
	poll := DefaultPolicyPoll
	for _, p := range []struct{ field, value string }{{"policyPoll", f.PolicyPoll}, {field + ".policyPoll", e.PolicyPoll}} {
		if p.value == "" {
			continue
		}
		if poll, err = time.ParseDuration(p.value); err != nil || poll < time.Second {
			return nil, l.fail(p.field, "%q: want a duration of at least 1s, such as 1m", p.value)
		}
	}
	return &Bundle{Ref: r.String(), Pinned: pinned, Poll: poll}, nil
}

// WithPolicy returns a copy of c in which environment env decides with p,
// for a server that swaps a policy while it runs; c is not changed, so that
// decisions under way finish with the policy they started with.
func (c *Config) WithPolicy(env string, p *policy.Policy) (*Config, error) {
	e, ok := c.Environments[env]
	if !ok {
		return nil, fmt.Errorf("%s: no environment %q", c.Path, env)
	}
	next := *c
	next.Environments = maps.Clone(c.Environments)
	ne := *e
	ne.Policy = p
	next.Environments[env] = &ne
	return &next, nil
}
