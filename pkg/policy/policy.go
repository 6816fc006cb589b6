// Package policy decides, with a Rego policy, whether the verified evidence about one subject makes it blessed.
package policy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// The documents gate reads from a policy. Their package is fixed so that the
// CLI, the webhook and `gate policy test` all ask the same question.
const (
	decisionQuery       = "data.gate.blessed.decision"
	predicateTypesQuery = "data.gate.blessed.predicate_types"
)

// Errors for a decision gate could not read. Both mean "could not decide":
// every caller refuses the subject.
var (
	ErrUndefined = errors.New("policy decision is undefined")
	ErrMalformed = errors.New("policy decision is malformed")
)

// Input is what a policy decides on: evidence whose signature, subject digest
// and signer role were already verified, and the context of the decision.
type Input struct {
	Subject     Subject    `json:"subject"`
	Environment string     `json:"environment"`
	Now         time.Time  `json:"now"`
	Evidence    []Evidence `json:"evidence"`
}

// Subject is the artifact decided on.
type Subject struct {
	Digest    string `json:"digest"`
	Reference string `json:"reference"`
}

// Evidence is one verified attestation.
type Evidence struct {
	PredicateType string         `json:"predicateType"`
	Signer        Signer         `json:"signer"`
	Predicate     map[string]any `json:"predicate"`
	// SignedAt is the time a log or timestamp authority vouches the
	// signature existed at; zero for key-signed evidence, which has none.
	SignedAt time.Time `json:"signedAt,omitzero"`
}

// Signer is who verifiably signed a piece of evidence.
type Signer struct {
	Role     string `json:"role"`
	Identity string `json:"identity"`
	// Name is how the trust config names the signer, for reasons people read.
	Name string `json:"name,omitempty"`
}

// Decision is a policy's answer: a denied subject is a Decision, not an error.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Gates   []Gate `json:"gates"`
}

// Gate is one requirement of the policy and why it passed or failed.
type Gate struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
	// Next says, for a failed gate, what would pass it; "" when passed or
	// when the policy does not say.
	Next string `json:"next,omitempty"`
}

// Policy is a compiled policy with its params, ready to evaluate many inputs
// concurrently.
type Policy struct {
	decision       rego.PreparedEvalQuery
	presetRefs     []ast.Ref
	presets        atomic.Pointer[[]preset] // from the decision that succeeded with the most
	harvests       atomic.Int32
	predicateTypes []string
	version        string
}

// Load compiles every *.rego file under dir except *_test.rego as Rego v1 in
// strict mode, with params mounted at data.gate.params. Compile errors name
// the file and line.
func Load(ctx context.Context, dir string, params map[string]any) (*Policy, error) {
	names, err := policyFiles(dir)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(names))
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading policy: %w", err)
		}
		files[filepath.ToSlash(name)] = src
	}
	return compileFiles(ctx, func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }, files, params)
}

// compileFiles is Load of files (slash-separated names relative to the
// policy's root → source), each named in errors as path(name).
func compileFiles(ctx context.Context, path func(string) string, files map[string][]byte, params map[string]any) (*Policy, error) {
	doc, canonical, err := canonicalParams(params)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(files))
	h := sha256.New()
	for _, name := range names {
		writeField(h, []byte(name))
		writeField(h, files[name])
	}
	writeField(h, canonical)
	modules, err := parse(names, path, files)
	if err != nil {
		return nil, err
	}

	// Params are stored as AST values so that a decision does not convert
	// them again on each read.
	store := inmem.NewFromObjectWithOpts(map[string]any{"gate": map[string]any{"params": doc}}, inmem.OptReturnASTValuesOnRead(true))
	compiler, err := compile(ctx, store, modules)
	if err != nil {
		return nil, err
	}
	decision, err := rego.New(rego.Query(decisionQuery), rego.Compiler(compiler), rego.Store(store)).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing %s: %w", decisionQuery, err)
	}
	types, err := predicateTypes(ctx, compiler, store)
	if err != nil {
		return nil, err
	}
	return &Policy{decision: decision, presetRefs: presetRefs(compiler), predicateTypes: types, version: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// parse parses the files side by side (parsing is a third of a compile, and
// a one-shot verify compiles while it mostly waits on the registry); an
// error names the first file in names' order that has one.
func parse(names []string, path func(string) string, files map[string][]byte) (map[string]*ast.Module, error) {
	parsed := make([]*ast.Module, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			parsed[i], errs[i] = ast.ParseModuleWithOpts(path(name), string(files[name]), ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: capabilities()})
		})
	}
	wg.Wait()
	modules := make(map[string]*ast.Module, len(names))
	for i, name := range names {
		if errs[i] != nil {
			return nil, fmt.Errorf("parsing policy: %w", errs[i])
		}
		modules[path(name)] = parsed[i]
	}
	return modules, nil
}

// policyFiles returns the policy's files under dir, relative to it and sorted.
func policyFiles(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return nil
		}
		name, err := filepath.Rel(dir, path)
		names = append(names, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing policy files: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("loading policy: no .rego files in %s", dir)
	}
	slices.Sort(names)
	return names, nil
}

// writeField writes b with its length, so that no two sequences of fields
// hash alike.
func writeField(h hash.Hash, b []byte) {
	_ = binary.Write(h, binary.BigEndian, uint64(len(b)))
	h.Write(b)
}

// paramsRef is where Load mounts params. A package there would blend rules
// into the params of every environment.
var paramsRef = ast.MustParseRef("data.gate.params")

// compile compiles modules in strict mode against gate's capabilities, and
// refuses a package that would shadow the params in store.
func compile(ctx context.Context, store storage.Store, modules map[string]*ast.Module) (*ast.Compiler, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling policy: %w", err)
	}
	defer store.Abort(ctx, txn)
	var errs ast.Errors
	for _, m := range modules {
		if m.Package.Path.HasPrefix(paramsRef) {
			errs = append(errs, ast.NewError(ast.CompileErr, m.Package.Location, "package %v is where params are mounted", m.Package.Path))
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, fmt.Errorf("compiling policy: %w", errs)
	}
	c := newCompiler().WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn))
	if c.Compile(modules); c.Failed() {
		return nil, fmt.Errorf("compiling policy: %w", c.Errors)
	}
	return c, nil
}

// blessedPackage is the package gate asks for its documents.
var blessedPackage = ast.MustParseRef("data.gate.blessed")

// missingRule says in words what a policy lacks for gate to ask it anything,
// instead of OPA's "undefined".
func missingRule(c *ast.Compiler, rule, what string) error {
	for _, m := range c.Modules {
		if m.Package.Path.Equal(blessedPackage) {
			return fmt.Errorf("package gate.blessed has no rule %s: %s; see policies/README.md", rule, what)
		}
	}
	return fmt.Errorf("no .rego file is in package gate.blessed, which gate asks for its decision: a policy for gate declares package gate.blessed with the rules decision ({allowed, gates}) and predicate_types; see policies/README.md")
}

func predicateTypes(ctx context.Context, c *ast.Compiler, store storage.Store) ([]string, error) {
	rs, err := rego.New(rego.Query(predicateTypesQuery), rego.Compiler(c), rego.Store(store)).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s: %w", predicateTypesQuery, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, missingRule(c, "predicate_types", "the set of predicate types the policy reads (predicate_types := set() if none)")
	}
	set, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, fmt.Errorf("evaluating %s: a %T, not a set of strings", predicateTypesQuery, rs[0].Expressions[0].Value)
	}
	types := make([]string, 0, len(set))
	for _, v := range set {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("evaluating %s: holds a %T, not a string", predicateTypesQuery, v)
		}
		types = append(types, s)
	}
	slices.Sort(types)
	return types, nil
}

// PredicateTypes returns, sorted, the predicate types the policy reads with
// its params: gate fetches only evidence of these types.
func (p *Policy) PredicateTypes() []string { return slices.Clone(p.predicateTypes) }

// Version identifies the policy's files (names and contents, tests excluded)
// and params as "sha256:<hex>": two policies with one version decide alike.
func (p *Policy) Version() string { return p.version }

// Evaluate decides on in. It fails closed: a decision that is undefined,
// malformed, or allows with a failed gate or none is an error, never allowed.
func (p *Policy) Evaluate(ctx context.Context, in Input) (Decision, error) {
	if in.Now.IsZero() {
		return Decision{}, errors.New("evaluating policy: input has no time")
	}
	v, err := in.value()
	if err != nil {
		return Decision{}, fmt.Errorf("converting policy input: %w", err)
	}
	pre := p.presets.Load()
	vc := cache(pre)
	rs, err := p.decision.Eval(ctx, rego.EvalParsedInput(v), rego.EvalVirtualCache(vc))
	if err != nil {
		return Decision{}, fmt.Errorf("evaluating policy: %w", err)
	}
	d, err := decode(rs)
	if err == nil && (pre == nil || len(*pre) < len(p.presetRefs)) && p.harvests.Add(1) <= maxHarvests {
		// A decision that skipped some of these rules (no evidence of a
		// kind) left fewer: a later one may add them.
		if harvested := harvest(vc, p.presetRefs); pre == nil || len(harvested) > len(*pre) {
			p.presets.CompareAndSwap(pre, &harvested)
		}
	}
	return d, err
}

// value is in as the AST value the policy reads, built directly: neither a
// JSON round trip nor an intermediate map. Only the predicates, already
// JSON-shaped values decoded from their statements, are converted.
func (in Input) value() (ast.Value, error) {
	evidence := make([]*ast.Term, len(in.Evidence))
	for i, e := range in.Evidence {
		predicate := ast.NullTerm()
		if e.Predicate != nil {
			v, err := ast.InterfaceToValue(e.Predicate)
			if err != nil {
				return nil, fmt.Errorf("evidence %d: %w", i, err)
			}
			predicate = ast.NewTerm(v)
		}
		evidence[i] = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("predicateType"), ast.StringTerm(e.PredicateType)),
			ast.Item(ast.InternedTerm("signer"), ast.ObjectTerm(
				ast.Item(ast.InternedTerm("role"), ast.StringTerm(e.Signer.Role)),
				ast.Item(ast.InternedTerm("identity"), ast.StringTerm(e.Signer.Identity)),
				ast.Item(ast.InternedTerm("name"), ast.StringTerm(e.Signer.Name)),
			)),
			ast.Item(ast.InternedTerm("predicate"), predicate),
		)
		if !e.SignedAt.IsZero() {
			evidence[i].Value.(ast.Object).Insert(ast.InternedTerm("signedAt"), ast.StringTerm(e.SignedAt.UTC().Format(time.RFC3339Nano)))
		}
	}
	return ast.NewObject(
		ast.Item(ast.InternedTerm("subject"), ast.ObjectTerm(
			ast.Item(ast.InternedTerm("digest"), ast.StringTerm(in.Subject.Digest)),
			ast.Item(ast.InternedTerm("reference"), ast.StringTerm(in.Subject.Reference)),
		)),
		ast.Item(ast.InternedTerm("environment"), ast.StringTerm(in.Environment)),
		ast.Item(ast.InternedTerm("now"), ast.StringTerm(in.Now.UTC().Format(time.RFC3339Nano))),
		ast.Item(ast.InternedTerm("evidence"), ast.ArrayTerm(evidence...)),
	), nil
}
