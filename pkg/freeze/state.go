package freeze

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/verify"
	"golang.org/x/sync/errgroup"
)

// Limits, and why.
const (
	// MaxClockSkew is how far in the future a statement's signed time may be: clocks of
	// laptops and CI runners drift by seconds, not minutes. A statement dated further ahead
	// would outrank every later one until then, so it is ignored and reported.
	MaxClockSkew = 5 * time.Minute
	// fetchConcurrency bounds parallel statement fetches, as gate's verify does.
	fetchConcurrency = 8
	// maxStatements and maxReadBytes bound what one Read reads, as gate verify's budget
	// does: statements are a few KB, and the newest are read first, so an honest freeze
	// repository needs a handful of reads, whatever its history.
	maxStatements = oci.MaxAttestations
	maxReadBytes  = 4 * oci.MaxAttestationSize
)

// AnchorType is the artifact type of an environment's anchor, the empty artifact whose
// referrers are that environment's freeze statements.
const AnchorType = "application/vnd.gatehq.freeze.anchor.v1+json"

// annotationEnvironment names the environment on its anchor, so each has its own digest.
const annotationEnvironment = "dev.gatehq.freeze.environment"

// ErrNotConfigured means the trust config names no freeze repository.
var ErrNotConfigured = errors.New("the trust config has no freeze section (freeze: {repository: …, roles: […]})")

// State is an environment's freeze state: the newest verified statement about it.
type State struct {
	Environment string
	// Frozen is false when no statement holds, the newest is an unfreeze, or its Until has passed.
	Frozen bool
	// By signed the statement in force; zero when there is none.
	By     verify.Signer
	Reason string
	Since  time.Time
	Until  time.Time
	// Expired says the newest statement was a freeze whose Until has passed.
	Expired bool
	// Ignored are statements that did not count, and why: unsigned, wrongly signed, signed by
	// a role that may not freeze, about another environment, dated in the future.
	Ignored []Ignored
}

// Ignored is a statement that did not count.
type Ignored struct {
	Location string `json:"location"`
	Reason   string `json:"reason"`
}

// Anchor returns env's anchor in the configured freeze repository.
func Anchor(c *oci.Client, cfg *config.Config, env string) (*oci.Anchor, error) {
	if cfg.Freeze == nil {
		return nil, ErrNotConfigured
	}
	ref, err := c.ParseReference(cfg.Freeze.Repository)
	if err != nil {
		return nil, fmt.Errorf("reading freeze.repository: %w", err)
	}
	return oci.NewAnchor(ref.Context(), AnchorType, map[string]string{annotationEnvironment: env})
}

// Read returns env's freeze state as of now. Without a freeze section nothing is frozen. A
// registry fault is an error, never "not frozen": callers must then refuse.
//
// Statements pile up (every freeze and unfreeze adds one), and only the newest verified one
// counts, so Read reads them newest first, by the time their writer annotates them with
// (Set annotates the signed time), and stops where no unread one can be newer: an honest
// statement's signed time is never after its annotation, so one annotated before the newest
// verified statement was signed cannot outrank it. The annotation only orders the reading; a
// false one costs reads, never the answer: what counts is the signed time. A statement without
// the annotation could be anything and is read first. What is read is bounded (maxStatements,
// maxReadBytes); past that, with statements that could be newer left unread, the state cannot
// be known and Read says so.
func Read(ctx context.Context, c *oci.Client, cfg *config.Config, env string, now time.Time) (*State, error) {
	st := &State{Environment: env, Ignored: []Ignored{}}
	if cfg.Freeze == nil {
		return st, nil
	}
	a, err := Anchor(c, cfg, env)
	if err != nil {
		return nil, err
	}
	listed, err := c.ListReferrers(ctx, a.Digest)
	if err != nil {
		return nil, fmt.Errorf("listing freeze statements of %s: %w", env, err)
	}
	todo := newestFirst(listed)
	budget := oci.NewBudget(maxReadBytes)
	var newest *statement
	for start := 0; start < len(todo); start += fetchConcurrency {
		batch := todo[start:min(start+fetchConcurrency, len(todo))]
		if newest != nil {
			batch = mayBeNewer(batch, newest.Since)
			if len(batch) == 0 {
				break // sorted: nothing after can be newer either
			}
		}
		if start >= maxStatements {
			return nil, fmt.Errorf("reading freeze statements of %s: more than %d to read before the newest is known; delete the referrers of %s that no freeze role signed (`oras discover %s` lists them)", env, maxStatements, a.Digest, a.Digest)
		}
		raws, unusable, err := fetch(ctx, c, a, batch, budget)
		if errors.Is(err, oci.ErrOverBudget) {
			return nil, fmt.Errorf("reading freeze statements of %s: over %d MiB of them to read before the newest is known; delete the referrers of %s that no freeze role signed (`oras discover %s` lists them)", env, maxReadBytes>>20, a.Digest, a.Digest)
		}
		if err != nil {
			return nil, fmt.Errorf("fetching freeze statements of %s: %w", env, err)
		}
		for i, raw := range raws {
			if unusable[i] != nil {
				st.Ignored = append(st.Ignored, Ignored{Location: batch[i].Manifest.String(), Reason: unusable[i].Error()})
				continue
			}
			s, err := verifyStatement(cfg, raw, a, env, now)
			if err != nil {
				st.Ignored = append(st.Ignored, Ignored{Location: batch[i].Manifest.String(), Reason: err.Error()})
				continue
			}
			if newest == nil || s.Since.After(newest.Since) || s.Since.Equal(newest.Since) && s.Frozen {
				newest = s // on a tie a freeze wins: fail closed
			}
		}
	}
	if newest == nil {
		return st, nil
	}
	st.By, st.Reason, st.Since, st.Until = newest.by, newest.Reason, newest.Since, newest.Until
	st.Frozen = newest.Frozen
	if st.Frozen && !st.Until.IsZero() && !now.Before(st.Until) {
		st.Frozen, st.Expired = false, true
	}
	return st, nil
}

// newestFirst returns the listed referrers that may be freeze statements, those without a
// readable creation time first, then the newest first.
func newestFirst(listed []oci.Attestation) []oci.Attestation {
	var todo []oci.Attestation
	for _, at := range listed {
		if at.PredicateType == "" || at.PredicateType == attestations.FreezeType {
			todo = append(todo, at)
		}
	}
	slices.SortStableFunc(todo, func(x, y oci.Attestation) int {
		switch {
		case x.CreatedAt.IsZero() || y.CreatedAt.IsZero():
			return boolOrder(!x.CreatedAt.IsZero(), !y.CreatedAt.IsZero()) // unknown first
		default:
			return y.CreatedAt.Compare(x.CreatedAt)
		}
	})
	return todo
}

// mayBeNewer keeps the statements of batch that could have been signed at or after since.
func mayBeNewer(batch []oci.Attestation, since time.Time) []oci.Attestation {
	var out []oci.Attestation
	for _, at := range batch {
		if at.CreatedAt.IsZero() || !at.CreatedAt.Before(since) {
			out = append(out, at)
		}
	}
	return out
}

// boolOrder orders false before true.
func boolOrder(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	default:
		return 1
	}
}

// fetch reads batch in parallel, charging budget. A fault of one referrer alone (a missing
// or oversized blob, a malformed manifest) is returned as its unusable error, to be ignored
// with its reason, as gate verify rejects one bad attestation, rather than refusing every
// deploy; a fault of the registry, or the budget running out, is the error.
func fetch(ctx context.Context, c *oci.Client, a *oci.Anchor, batch []oci.Attestation, budget *oci.Budget) ([][]byte, []error, error) {
	raws := make([][]byte, len(batch))
	unusable := make([]error, len(batch))
	g, gctx := errgroup.WithContext(ctx)
	for i, at := range batch {
		g.Go(func() error {
			l, err := c.Locate(gctx, a.Digest, at, budget)
			if err == nil && l.Content == nil {
				l.Content, err = c.ReadBlob(gctx, a.Digest, l.Blob, budget)
			}
			if errors.Is(err, oci.ErrUnusable) {
				unusable[i] = err
				return nil
			}
			raws[i] = l.Content
			return err
		})
	}
	return raws, unusable, g.Wait()
}

type statement struct {
	attestations.Freeze
	by verify.Signer
}

// verifyStatement checks one stored statement: signed by a role that may freeze, about env's
// anchor, naming env, dated no later than now allows.
func verifyStatement(cfg *config.Config, raw []byte, a *oci.Anchor, env string, now time.Time) (*statement, error) {
	ev, err := cfg.Trust.Bundle(raw, a.Digest.DigestStr())
	if err != nil {
		return nil, err
	}
	if ev.PredicateType != attestations.FreezeType {
		return nil, fmt.Errorf("a %s statement, not a freeze", ev.PredicateType)
	}
	b, err := json.Marshal(ev.Predicate)
	if err != nil {
		return nil, err
	}
	var s statement
	if err := json.Unmarshal(b, &s.Freeze); err != nil {
		return nil, fmt.Errorf("%w: freeze predicate: %w", verify.ErrMalformed, err)
	}
	s.by = ev.Signer
	switch {
	case s.Environment != env:
		return nil, fmt.Errorf("about environment %q, stored under %q", s.Environment, env)
	case s.Since.IsZero():
		return nil, fmt.Errorf("%w: freeze statement has no time", verify.ErrMalformed)
	case s.Since.After(now.Add(MaxClockSkew)):
		return nil, fmt.Errorf("signed for %s, in the future", s.Since.Format(time.RFC3339))
	}
	return &s, nil
}
