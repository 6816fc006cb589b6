package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
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
	Path               string
	Trust              *verify.Trust
	Environments       map[string]*Environment
	DefaultEnvironment string
	// Legacy says whether to read cosign's legacy .att attestations.
	Legacy bool
	// Freeze is nil when the config names no freeze repository: nothing is ever frozen.
	Freeze *Freeze
}

// Environment is one environment with its policy prepared.
type Environment struct {
	Name   string
	Policy *policy.Policy
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

// Load reads, checks and prepares the trust config at path: its keys are
// read, its roles checked, and each environment's policy compiled.
func Load(ctx context.Context, path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading trust config: %w", err)
	}
	if len(raw) > MaxFileSize {
		return nil, &Error{File: path, Err: fmt.Errorf("larger than %d bytes", MaxFileSize)}
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(path, err)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(raw, &doc)
	l := &loader{path: path, dir: filepath.Dir(path), doc: &doc}
	return l.load(ctx, &f)
}

type loader struct {
	path, dir string
	doc       *yaml.Node
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
			pem, err := os.ReadFile(l.rel(p))
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
		r, err := root.NewTrustedRootFromPath(l.rel(f.TrustedRoot))
		if err != nil {
			return nil, l.fail("trustedRoot", "reading trusted root: %w", err)
		}
		tr = r
	} else if len(ids) > 0 {
		return nil, l.fail("trustedRoot", "certificate identities are configured, so a trusted root file is needed")
	}
	trust, err := verify.NewTrust(keys, ids, tr, allowed)
	if err != nil {
		return nil, l.fail("roles", "%w", err)
	}
	cfg := &Config{Path: l.path, Trust: trust, Environments: map[string]*Environment{}, DefaultEnvironment: f.DefaultEnvironment, Legacy: f.Legacy == nil || *f.Legacy, Freeze: freeze}
	if len(f.Environments) == 0 {
		return nil, l.fail("environments", "no environments: no policy to apply")
	}
	for _, name := range sortedKeys(f.Environments) {
		e := f.Environments[name]
		field := "environments." + name
		if e.Policy == "" {
			return nil, l.fail(field+".policy", "missing: the directory of the policy's .rego files")
		}
		var params map[string]any
		if e.Data != "" {
			if params, err = policy.LoadParams(l.rel(e.Data)); err != nil {
				return nil, l.fail(field+".data", "%w", err)
			}
		}
		p, err := policy.Load(ctx, l.rel(e.Policy), params)
		if err != nil {
			return nil, l.fail(field+".policy", "%w", err)
		}
		cfg.Environments[name] = &Environment{Name: name, Policy: p}
	}
	if cfg.DefaultEnvironment == "" && len(cfg.Environments) == 1 {
		for name := range cfg.Environments {
			cfg.DefaultEnvironment = name
		}
	}
	if _, ok := cfg.Environments[cfg.DefaultEnvironment]; !ok && cfg.DefaultEnvironment != "" {
		return nil, l.fail("defaultEnvironment", "%q is not one of the environments", cfg.DefaultEnvironment)
	}
	return cfg, nil
}

// Environment returns the named environment, or the default one for "".
func (c *Config) Environment(name string) (*Environment, error) {
	if name == "" {
		name = c.DefaultEnvironment
	}
	if name == "" {
		return nil, fmt.Errorf("%s: no defaultEnvironment, so an environment must be named (one of %s)", c.Path, strings.Join(sortedKeys(c.Environments), ", "))
	}
	e, ok := c.Environments[name]
	if !ok {
		return nil, fmt.Errorf("%s: no environment %q (have %s)", c.Path, name, strings.Join(sortedKeys(c.Environments), ", "))
	}
	return e, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
