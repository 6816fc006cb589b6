package release

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Limits on one table.
const (
	// digestConcurrency bounds the digests gathered at once; each gather
	// fetches up to 8 bundles at once itself, so at most 32 requests are in
	// flight: enough to hide a registry's latency, few enough not to trip
	// its rate limits.
	digestConcurrency = 4
	// MaxTags bounds the tags resolved (one HEAD request each) to build a
	// repository's table: a release table is read by people, and a
	// repository with more tags is asked about by tag or digest instead.
	MaxTags = 500
	// DefaultLast is how many digests a table shows unless told otherwise:
	// a GO/NOGO meeting looks at this release and the few before it.
	DefaultLast = 10
)

// Table is the release table of one repository: newest digest first.
type Table struct {
	Repository   string    `json:"repository"`
	Environments []string  `json:"environments"`
	Time         time.Time `json:"time"`
	// Freezes are the environments frozen as the table was read (none: an empty list).
	Freezes []Freeze `json:"freezes"`
	Rows    []Row    `json:"rows"`
}

// Row is one digest: its tags, when it was built, its verdict in each
// environment and the votes cast on it.
type Row struct {
	Digest    string   `json:"digest"`
	Reference string   `json:"reference"` // REPO@DIGEST, what a command or a manifest names
	Tags      []string `json:"tags"`
	// Built is when the digest's verified provenance says its build
	// finished (zero when it has none: such rows come last).
	Built    time.Time       `json:"built,omitzero"`
	Verdicts []Verdict       `json:"verdicts"`
	Votes    []Vote          `json:"votes"`
	Rejected []gate.Rejected `json:"rejected"`
	// Evidence is every verified attestation the row was decided on, where it is stored.
	Evidence []gate.UsedEvidence `json:"evidence"`
}

// Verdict is a digest's decision in one environment.
type Verdict struct {
	Environment   string `json:"environment"`
	PolicyVersion string `json:"policyVersion"`
	Blessed       bool   `json:"blessed"`
	// Rollback says the environment is frozen and the digest is blessed because it was blessed
	// there before the freeze: a rollback target, admitted while new digests are refused.
	Rollback bool          `json:"rollback,omitempty"`
	Gates    []policy.Gate `json:"gates"`
	// Missing are the gates that failed, each with what would close it.
	Missing []Gap `json:"missing"`
}

// Gap is a failed gate and the command that would close it ("" when no
// command can: the policy's reason says why).
type Gap struct {
	policy.Gate
	Command string `json:"command,omitempty"`
}

// Options say which part of the table to build.
type Options struct {
	// Environments to decide in; none means every environment of the config.
	Environments []string
	// Last is how many digests to keep, newest first; 0 means DefaultLast,
	// and a negative number every digest.
	Last int
	// Include are digests to add to a repository's table even when no tag
	// names them (gate blessed --before names one).
	Include []name.Digest
}

// Build reads the release table of ref: a repository (every digest a tag
// names), or one image by tag or digest (its row alone). Each digest's
// evidence is verified as gate verify verifies it; an error means the table
// could not be read, and nothing in it is to be trusted.
func Build(ctx context.Context, c *oci.Client, cfg *config.Config, ref string, now time.Time, opts Options) (*Table, error) {
	envs, err := environments(cfg, opts.Environments)
	if err != nil {
		return nil, err
	}
	repo, tags, kinds, err := digests(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	states, frozen, err := readFreezes(ctx, c, cfg, envs, now)
	if err != nil {
		return nil, err
	}
	for _, d := range opts.Include {
		if _, ok := tags[d.DigestStr()]; !ok {
			tags[d.DigestStr()] = nil
		}
	}
	t := &Table{Repository: repo.Name(), Time: now.UTC(), Freezes: frozen, Rows: make([]Row, 0, len(tags))}
	for _, e := range envs {
		t.Environments = append(t.Environments, e.Name)
	}
	for d, ts := range tags {
		t.Rows = append(t.Rows, Row{Digest: d, Reference: repo.Digest(d).String(), Tags: ts})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(digestConcurrency)
	for i := range t.Rows {
		g.Go(func() error {
			got, err := gather(gctx, c, cfg, repo.Digest(t.Rows[i].Digest), kinds[t.Rows[i].Digest], envs, now)
			if err != nil {
				return fmt.Errorf("reading the evidence of %s: %w", t.Rows[i].Reference, err)
			}
			if err := judgeFreezes(gctx, cfg, states, got.decisions); err != nil {
				return err
			}
			fill(&t.Rows[i], got, now)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sortRows(t.Rows)
	last := cmp.Or(opts.Last, DefaultLast)
	if last > 0 && len(t.Rows) > last {
		t.Rows = t.Rows[:last]
	}
	return t, nil
}

func environments(cfg *config.Config, names []string) ([]*config.Environment, error) {
	if len(names) == 0 {
		for n := range cfg.Environments {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	var out []*config.Environment
	for _, n := range names {
		e, err := cfg.Environment(n)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s names no environment: add one under environments", cfg.Path)
	}
	return out, nil
}

// digests returns ref's repository and the digests to show, each with the
// tags that name it: ref's own, or every tag's but gate's and cosign's
// (sha256-…, which name attestations, not releases); and the media type of
// each digest's manifest that a tag's HEAD told, so that verifying the
// digest reads no manifest to learn it.
func digests(ctx context.Context, c *oci.Client, ref string) (name.Repository, map[string][]string, map[string]types.MediaType, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return name.Repository{}, nil, nil, err
	}
	repo := r.Context()
	if names(ref) {
		d, kind, err := c.ResolveKind(ctx, ref)
		if err != nil {
			return repo, nil, nil, err
		}
		var tags []string
		if t, ok := r.(name.Tag); ok {
			tags = []string{t.TagStr()}
		}
		return repo, map[string][]string{d.DigestStr(): tags}, map[string]types.MediaType{d.DigestStr(): kind}, nil
	}
	all, err := c.Tags(ctx, repo)
	if err != nil {
		return repo, nil, nil, err
	}
	var releases []string
	for _, t := range all {
		if !strings.HasPrefix(t, "sha256-") {
			releases = append(releases, t)
		}
	}
	if len(releases) > MaxTags {
		return repo, nil, nil, fmt.Errorf("%s has %d tags, more than the %d gate reads for a table: name a tag or a digest (%s:TAG)", repo, len(releases), MaxTags, repo)
	}
	found := make([]string, len(releases))
	kinds := make([]types.MediaType, len(releases))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(digestConcurrency * 2)
	for i, t := range releases {
		g.Go(func() error {
			d, kind, err := c.ResolveKind(gctx, repo.Tag(t).String())
			if err != nil {
				return err
			}
			found[i], kinds[i] = d.DigestStr(), kind
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return repo, nil, nil, err
	}
	out, kindOf := map[string][]string{}, map[string]types.MediaType{}
	for i, t := range releases {
		out[found[i]] = append(out[found[i]], t)
		kindOf[found[i]] = kinds[i]
	}
	return repo, out, kindOf, nil
}

// names says whether ref names one image (by tag or digest) rather than a
// repository: whether its last path element carries a tag or a digest.
func names(ref string) bool {
	last := ref[strings.LastIndex(ref, "/")+1:]
	return strings.ContainsAny(last, ":@")
}

// sortRows puts the newest build first; rows without a verified build time
// last, by digest so that the order is the same on every read.
func sortRows(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		if c := b.Built.Compare(a.Built); c != 0 {
			return c
		}
		return strings.Compare(a.Digest, b.Digest)
	})
}
