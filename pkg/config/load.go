package config

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the config file: it is a page of YAML, not a database.
const MaxFileSize = 1 << 20

// Config is a loaded, checked trust config.
type Config struct {
	Path  string
	Trust *verify.Trust
	// Environments holds the environments whose policy was compiled: all of
	// them, unless the config was loaded with OnlyEnvironment; none with
	// Background, whose environments Environment gives as they are ready.
	Environments       map[string]*Environment
	DefaultEnvironment string
	// Legacy says whether to read cosign's legacy .att attestations.
	Legacy bool
	keys   []verify.Key // as the config names them, for KeyRole
	// declared are the names of all the config's environments, sorted;
	// Environments holds those whose policy was compiled.
	declared []string
	// Freeze is nil when the config names no freeze repository: nothing is ever frozen.
	Freeze *Freeze
	// pending holds the environments whose policy is prepared in the
	// background (Background), in place of Environments.
	pending map[string]*pending
}

// Environment is one environment with its policy prepared.
type Environment struct {
	Name   string
	Policy *policy.Policy
	// FastPath is nil when the environment takes no VSA for a verification.
	FastPath *FastPath
	// Bundle is where the policy came from when it is a signed policy
	// bundle; nil for a policy directory.
	Bundle *Bundle
}

// Error is a config mistake, with where it is.
type Error struct {
	File  string
	Line  int    // 0 when unknown
	Field string // e.g. roles.qa.keys[0]
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Option changes what Load prepares.
type Option func(*options)

type options struct {
	// only names the environment whose policy is compiled; nil compiles all.
	only *string
	// fetch reads oci:// policies; nil refuses them.
	fetch PolicyFetcher
	// trustOnly compiles no policy.
	trustOnly bool
	// background compiles in the background.
	background bool
}

// TrustOnly has Load prepare the trust (roles, keys, freezes) and check every
// environment and its data, compiling no policy: for a command that only asks
// who may sign (gate approve checking its key's role), which a policy being
// edited should neither slow nor stop. Environment refuses every environment.
func TrustOnly() Option {
	return func(o *options) { o.trustOnly = true }
}

// OnlyEnvironment has Load compile the policy of the named environment alone
// ("" names the default environment), and refuse a name that is not one of
// the environments. Compiling a policy is most of a one-shot command's
// start-up, and such a command decides for one environment. Every other
// environment is still checked and its data read, but its policy is not
// compiled: Environment refuses it, so nothing decides with a policy that
// was never checked. A server that decides for several environments loads
// without this option, and so finds a broken policy at start.
func OnlyEnvironment(name string) Option {
	return func(o *options) { o.only = &name }
}

// Background has Load return as soon as the trust is ready, the policy it
// compiles (or fetches) still being prepared: for a one-shot command, which
// reads the registry meanwhile instead of waiting for a compile that is most
// of its CPU. Environment waits for that policy and returns the error Load
// would have returned for it; Compiling says whether it is still being
// prepared.
func Background() Option {
	return func(o *options) { o.background = true }
}

// Load reads the trust config at path with Read, then checks and prepares
// it: its keys are read, its roles checked, and each environment's policy
// compiled (only one, with OnlyEnvironment).
func Load(ctx context.Context, path string, opts ...Option) (*Config, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s, err := Read(path)
	if err != nil {
		return nil, err
	}
	l := s.loader()
	l.only = o.only
	l.fetch = o.fetch
	l.trustOnly = o.trustOnly
	l.background = o.background
	return l.load(ctx, &s.File)
}

type loader struct {
	path, dir  string
	doc        *yaml.Node
	only       *string
	fetch      PolicyFetcher
	trustOnly  bool
	background bool
}

// fail returns a config Error at field, a dotted path with [i] indexes.
func (l *loader) fail(field string, format string, args ...any) error {
	return &Error{File: l.path, Line: lineOf(l.doc, field), Field: field, Err: fmt.Errorf(format, args...)}
}

func (l *loader) rel(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}

func (l *loader) load(ctx context.Context, f *File) (*Config, error) {
	if len(f.Roles) == 0 {
		return nil, l.fail("roles", "no roles: nothing could ever be verified")
	}
	var keys []verify.Key
	var ids []verify.Identity
	allowed := map[string][]string{}
	for _, name := range sortedKeys(f.Roles) {
		r := f.Roles[name]
		field := "roles." + name
		if len(r.Keys) == 0 && len(r.Identities) == 0 {
			return nil, l.fail(field, "role has no keys and no identities")
		}
		if len(r.MaySign) == 0 {
			return nil, l.fail(field+".maySign", "role may sign nothing")
		}
		for i, kind := range r.MaySign {
			t, ok := attestations.ResolveType(kind)
			if !ok && !strings.Contains(kind, "://") {
				return nil, l.fail(fmt.Sprintf("%s.maySign[%d]", field, i), "unknown predicate type %q (use a type URI or one of %s)", kind, strings.Join(sortedKeys(attestations.Kinds), ", "))
			}
			if !ok {
				t = kind
			}
			allowed[name] = append(allowed[name], t)
		}
		for i, p := range r.Keys {
			pem, err := readFile(l.rel(p), MaxKeySize)
			if err != nil {
				return nil, l.fail(fmt.Sprintf("%s.keys[%d]", field, i), "reading public key: %w", err)
			}
			pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
			if err != nil {
				return nil, l.fail(fmt.Sprintf("%s.keys[%d]", field, i), "%s is not a PEM public key: %w", p, err)
			}
			keys = append(keys, verify.Key{Name: filepath.Base(p), Role: name, PublicKey: pub})
		}
		for i, id := range r.Identities {
			if (id.Issuer == "") == (id.IssuerRegexp == "") || (id.Subject == "") == (id.SubjectRegexp == "") {
				return nil, l.fail(fmt.Sprintf("%s.identities[%d]", field, i), "give exactly one of issuer and issuerRegexp, and one of subject and subjectRegexp")
			}
			ids = append(ids, verify.Identity{Name: fmt.Sprintf("%s:identity[%d]", name, i), Role: name,
				Issuer: id.Issuer, IssuerRegexp: id.IssuerRegexp, Subject: id.Subject, SubjectRegexp: id.SubjectRegexp})
		}
	}
	freeze, err := l.freeze(f.Freeze, f.Roles, allowed)
	if err != nil {
		return nil, err
	}
	var tr root.TrustedMaterial
	if f.TrustedRoot != "" {
		raw, err := readFile(l.rel(f.TrustedRoot), MaxTrustedRootSize)
		if err != nil {
			return nil, l.fail("trustedRoot", "reading trusted root: %w", err)
		}
		r, err := root.NewTrustedRootFromJSON(raw)
		if err != nil {
			return nil, l.fail("trustedRoot", "reading trusted root: %w", err)
		}
		tr = r
	} else if len(ids) > 0 {
		return nil, l.fail("trustedRoot", "certificate identities are configured, so a trusted root file is needed")
	}
	var opts []verify.TrustOption
	if f.MultiSubject != nil {
		var types []string
		for i, kind := range *f.MultiSubject {
			t, ok := attestations.ResolveType(kind)
			if !ok && !strings.Contains(kind, "://") {
				return nil, l.fail(fmt.Sprintf("multiSubject[%d]", i), "unknown predicate type %q (use a type URI or one of %s)", kind, strings.Join(sortedKeys(attestations.Kinds), ", "))
			}
			if !ok {
				t = kind
			}
			types = append(types, t)
		}
		opts = append(opts, verify.WithMultiSubject(types...))
	}
	trust, err := verify.NewTrust(keys, ids, tr, allowed, opts...)
	if err != nil {
		return nil, l.fail("roles", "%w", err)
	}
	cfg := &Config{Path: l.path, Trust: trust, Environments: map[string]*Environment{}, pending: map[string]*pending{}, DefaultEnvironment: f.DefaultEnvironment, Legacy: f.Legacy == nil || *f.Legacy, keys: keys, Freeze: freeze}
	if len(f.Environments) == 0 {
		return nil, l.fail("environments", "no environments: no policy to apply")
	}
	params := map[string]map[string]any{}
	fast := map[string]*FastPath{}
	bundles := map[string]*Bundle{}
	for _, name := range sortedKeys(f.Environments) {
		e := f.Environments[name]
		field := "environments." + name
		if e.Policy == "" {
			return nil, l.fail(field+".policy", "missing: the directory of the policy's .rego files")
		}
		if fast[name], err = l.fastPath(name, e.FastPath, f.Roles, allowed); err != nil {
			return nil, err
		}
		if ref, ok := IsBundle(e.Policy); ok {
			if bundles[name], err = l.bundle(f, name, ref); err != nil {
				return nil, err
			}
			continue
		}
		if e.PolicyPoll != "" {
			return nil, l.fail(field+".policyPoll", "only a policy bundle (oci://…) is polled: remove policyPoll")
		}
		if e.Data != "" {
			if params[name], err = policy.LoadParams(l.rel(e.Data)); err != nil {
				return nil, l.fail(field+".data", "%w", err)
			}
		}
	}
	if cfg.DefaultEnvironment == "" && len(f.Environments) == 1 {
		for name := range f.Environments {
			cfg.DefaultEnvironment = name
		}
	}
	if _, ok := f.Environments[cfg.DefaultEnvironment]; !ok && cfg.DefaultEnvironment != "" {
		return nil, l.fail("defaultEnvironment", "%q is not one of the environments", cfg.DefaultEnvironment)
	}
	names := sortedKeys(f.Environments)
	if l.only != nil {
		name, err := environmentName(l.path, cfg.DefaultEnvironment, *l.only, names)
		if err != nil {
			return nil, err
		}
		names = []string{name}
	}
	if l.trustOnly {
		names = nil
	}
	cfg.declared = sortedKeys(f.Environments)
	for _, name := range names {
		prepare := func() (*Environment, error) {
			return l.environment(ctx, cfg, f, name, bundles[name], params[name], fast[name])
		}
		if !l.background {
			e, err := prepare()
			if err != nil {
				return nil, err
			}
			cfg.Environments[name] = e
			continue
		}
		p := &pending{done: make(chan struct{})}
		go func() {
			defer close(p.done)
			p.env, p.err = prepare()
		}()
		cfg.pending[name] = p
	}
	return cfg, nil
}

// environment fetches (b, a policy bundle) or compiles (with params) the
// policy of environment name.
func (l *loader) environment(ctx context.Context, cfg *Config, f *File, name string, b *Bundle, params map[string]any, fast *FastPath) (*Environment, error) {
	field := "environments." + name + ".policy"
	if b != nil {
		if l.fetch == nil {
			return nil, l.fail(field, "a policy bundle, which this command does not fetch: name a policy directory for it")
		}
		p, err := l.fetch(ctx, cfg, b.Ref)
		if err != nil {
			return nil, l.fail(field, "%w", err)
		}
		return &Environment{Name: name, Policy: p, Bundle: b, FastPath: fast}, nil
	}
	p, err := policy.Load(ctx, l.rel(f.Environments[name].Policy), params)
	if err != nil {
		return nil, l.fail(field, "%w", err)
	}
	return &Environment{Name: name, Policy: p, FastPath: fast}, nil
}

// pending is an environment whose policy Load prepares in the background.
type pending struct {
	done chan struct{} // closed when env or err is set
	env  *Environment
	err  error
}

// environmentName resolves name ("" for the default) against the declared
// environments.
func environmentName(path, def, name string, declared []string) (string, error) {
	if name == "" {
		name = def
	}
	if name == "" {
		return "", fmt.Errorf("%s: no defaultEnvironment, so an environment must be named (one of %s)", path, strings.Join(declared, ", "))
	}
	if !slices.Contains(declared, name) {
		return "", fmt.Errorf("%s: no environment %q (have %s)", path, name, strings.Join(declared, ", "))
	}
	return name, nil
}

// Environment returns the named environment, or the default one for "". An
// environment whose policy Load did not compile (see OnlyEnvironment) is an
// error, never a decision. With Background, it waits for the environment's
// policy, and returns the error preparing it met.
func (c *Config) Environment(name string) (*Environment, error) {
	name, err := c.resolve(name)
	if err != nil {
		return nil, err
	}
	if p, ok := c.pending[name]; ok {
		<-p.done
		return p.env, p.err
	}
	e, ok := c.Environments[name]
	if !ok {
		return nil, fmt.Errorf("%s: the policy of environment %q was not compiled: the config was loaded for another environment", c.Path, name)
	}
	return e, nil
}

// Compiling says whether the policy of the named environment is still being
// prepared in the background (Background): Environment would wait for it.
func (c *Config) Compiling(name string) bool {
	name, err := c.resolve(name)
	if err != nil {
		return false
	}
	p, ok := c.pending[name]
	if !ok {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// resolve names the environment name ("" for the default) means.
func (c *Config) resolve(name string) (string, error) {
	declared := c.declared
	if declared == nil { // a Config built by hand rather than by Load
		declared = sortedKeys(c.Environments)
	}
	return environmentName(c.Path, c.DefaultEnvironment, name, declared)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
