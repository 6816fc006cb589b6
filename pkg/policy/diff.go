package policy

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Layout says where, in a checkout, the policy directory and the params
// file of an environment are; params "" means the policy has none.
type Layout func(env string) (dir, params string, err error)

// DirLayout is the layout of gate's policies/: the policy in dir, and the
// params of every environment in params, or, if params is "", those of
// environment E in dir/data/E.json.
func DirLayout(dir, params string) Layout {
	return func(env string) (string, string, error) {
		if params != "" {
			return dir, params, nil
		}
		p := filepath.Join(dir, "data", env+".json")
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("no params for environment %q: %w (name them with --data, or --config)", env, err)
		}
		return dir, p, nil
	}
}

// Revision is one side of a Comparison: a name for reports ("origin/main",
// "working tree") and, for a git revision, its Snapshot; a nil Snapshot is
// the files as they are. A Revision with a Policy (a policy bundle, which
// carries its own data) decides every environment with it.
type Revision struct {
	Name     string
	Snapshot *Snapshot
	Policy   *Policy
}

// Case is one input to decide on under both revisions, and where it came
// from (a records file's file:line, an image reference).
type Case struct {
	Source string
	Input  Input
}

// Comparison evaluates inputs under two revisions of a policy, loading the
// policy of each environment once per revision. It is not safe for
// concurrent use.
type Comparison struct {
	layout     Layout
	base, head side
}

type side struct {
	Revision
	policies map[string]*Policy
}

// NewComparison compares base with head, finding each environment's policy
// with layout in both.
func NewComparison(layout Layout, base, head Revision) *Comparison {
	return &Comparison{layout: layout,
		base: side{Revision: base, policies: map[string]*Policy{}},
		head: side{Revision: head, policies: map[string]*Policy{}}}
}

// Policies returns env's policy at base and at head. An error names the
// revision, and the file and line of a policy that does not compile.
func (c *Comparison) Policies(ctx context.Context, env string) (base, head *Policy, err error) {
	if base, err = c.load(ctx, &c.base, env); err != nil {
		return nil, nil, err
	}
	if head, err = c.load(ctx, &c.head, env); err != nil {
		return nil, nil, err
	}
	return base, head, nil
}

func (c *Comparison) load(ctx context.Context, s *side, env string) (*Policy, error) {
	if p, ok := s.policies[env]; ok {
		return p, nil
	}
	p, err := c.loadFrom(ctx, s, env)
	if err != nil {
		if s.Snapshot != nil {
			err = s.Snapshot.Explain(err)
		}
		return nil, fmt.Errorf("%s: environment %s: %w", s.Name, env, err)
	}
	s.policies[env] = p
	return p, nil
}

func (c *Comparison) loadFrom(ctx context.Context, s *side, env string) (*Policy, error) {
	if s.Policy != nil {
		return s.Policy, nil
	}
	dir, params, err := c.layout(env)
	if err != nil {
		return nil, err
	}
	if s.Snapshot != nil {
		if dir, err = s.Snapshot.Path(ctx, dir); err != nil {
			return nil, err
		}
		if params != "" {
			if params, err = s.Snapshot.Path(ctx, params); err != nil {
				return nil, err
			}
		}
	}
	var doc map[string]any
	if params != "" {
		if doc, err = LoadParams(params); err != nil {
			return nil, err
		}
	}
	return Load(ctx, dir, doc)
}

// PredicateTypes returns the predicate types either revision reads in env:
// the evidence to gather so that both decide on the same input.
func (c *Comparison) PredicateTypes(ctx context.Context, env string) ([]string, error) {
	base, head, err := c.Policies(ctx, env)
	if err != nil {
		return nil, err
	}
	types := append(base.PredicateTypes(), head.PredicateTypes()...)
	slices.Sort(types)
	return slices.Compact(types), nil
}

// Run decides every case under both revisions, and returns the decisions
// that change. A policy that cannot be loaded is an error; a case that a
// revision cannot decide on is a change whose Outcome has an Error, since
// every caller refuses what the policy cannot decide.
func (c *Comparison) Run(ctx context.Context, cases []Case) (*Diff, error) {
	d := &Diff{Base: c.base.Name, Head: c.head.Name, Decisions: len(cases), Flipped: []Change{}, Changed: []Change{}, Policies: []Versions{}}
	versions := map[string]bool{}
	for _, k := range cases {
		env := k.Input.Environment
		base, head, err := c.Policies(ctx, env)
		if err != nil {
			return nil, err
		}
		if !versions[env] {
			versions[env] = true
			d.Policies = append(d.Policies, Versions{Environment: env, Base: base.Version(), Head: head.Version()})
		}
		if base.Version() == head.Version() {
			continue // one version decides alike
		}
		ch := Change{Source: k.Source, Image: k.Input.Subject.Reference, Digest: k.Input.Subject.Digest, Environment: env,
			Base: outcome(base.Evaluate(ctx, k.Input)), Head: outcome(head.Evaluate(ctx, k.Input))}
		if ch.Gates = compareGates(ch.Base.Gates, ch.Head.Gates); len(ch.Gates) == 0 && ch.Base.Error == ch.Head.Error && !ch.Flipped() {
			continue
		}
		if ch.Flipped() {
			d.Flipped = append(d.Flipped, ch)
		} else {
			d.Changed = append(d.Changed, ch)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(d.Policies, func(a, b Versions) int { return cmp.Compare(a.Environment, b.Environment) })
	return d, nil
}

func outcome(d Decision, err error) Outcome {
	if err != nil {
		return Outcome{Gates: []Gate{}, Error: err.Error()}
	}
	return Outcome{Allowed: d.Allowed, Gates: d.Gates}
}

// compareGates returns the gates that differ, in base's order, then those
// only head has.
func compareGates(base, head []Gate) []GateChange {
	var out []GateChange
	for i := range base {
		j := slices.IndexFunc(head, func(g Gate) bool { return g.Name == base[i].Name })
		if j < 0 {
			out = append(out, GateChange{Name: base[i].Name, Base: &base[i]})
		} else if head[j] != base[i] {
			out = append(out, GateChange{Name: base[i].Name, Base: &base[i], Head: &head[j]})
		}
	}
	for j := range head {
		if !slices.ContainsFunc(base, func(g Gate) bool { return g.Name == head[j].Name }) {
			out = append(out, GateChange{Name: head[j].Name, Head: &head[j]})
		}
	}
	return out
}

// Diff is what changes between two revisions of a policy over a set of
// decisions.
type Diff struct {
	Base string `json:"base"`
	Head string `json:"head"`
	// Decisions is how many inputs were decided under both.
	Decisions int `json:"decisions"`
	// Flipped are the decisions blessed on one side and not on the other.
	Flipped []Change `json:"flipped"`
	// Changed are the decisions whose gates or reasons change, not their verdict.
	Changed  []Change   `json:"changed"`
	Policies []Versions `json:"policies"`
}

// Versions are the versions of an environment's policy at both revisions.
type Versions struct {
	Environment string `json:"environment"`
	Base        string `json:"base"`
	Head        string `json:"head"`
}

// Change is one decision that differs between the revisions.
type Change struct {
	Source      string       `json:"source"`
	Image       string       `json:"image"`
	Digest      string       `json:"digest"`
	Environment string       `json:"environment"`
	Base        Outcome      `json:"base"`
	Head        Outcome      `json:"head"`
	Gates       []GateChange `json:"gates"`
}

// Flipped says whether the change turns blessed into not blessed, or the
// reverse.
func (c Change) Flipped() bool { return c.Base.Allowed != c.Head.Allowed }

// Outcome is a decision at one revision. Error is set when the revision
// could not decide, which every caller takes as not blessed.
type Outcome struct {
	Allowed bool   `json:"allowed"`
	Gates   []Gate `json:"gates"`
	Error   string `json:"error,omitempty"`
}

// GateChange is a gate that differs: nil on the side that lacks it.
type GateChange struct {
	Name string `json:"name"`
	Base *Gate  `json:"base"`
	Head *Gate  `json:"head"`
}

// Flips counts the flipped decisions each way.
func (d *Diff) Flips() (revoked, granted int) {
	for _, c := range d.Flipped {
		if c.Base.Allowed {
			revoked++
		} else {
			granted++
		}
	}
	return revoked, granted
}
