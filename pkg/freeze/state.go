package freeze

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
func Read(ctx context.Context, c *oci.Client, cfg *config.Config, env string, now time.Time) (*State, error) {
	st := &State{Environment: env, Ignored: []Ignored{}}
	if cfg.Freeze == nil {
		return st, nil
	}
	a, err := Anchor(c, cfg, env)
	if err != nil {
		return nil, err
	}
	all, err := c.List(ctx, a.Digest)
	if err != nil {
		return nil, fmt.Errorf("listing freeze statements of %s: %w", env, err)
	}
	raws := make([][]byte, len(all))
	unusable := make([]error, len(all))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i, at := range all {
		if at.Source != oci.Referrer || at.PredicateType != "" && at.PredicateType != attestations.FreezeType {
			continue
		}
		g.Go(func() error {
			raw, err := c.Fetch(gctx, a.Digest, at)
			if errors.Is(err, oci.ErrUnusable) {
				// A fault of this referrer alone (a missing or oversized blob, a
				// malformed manifest): it is ignored with its reason, as gate verify
				// rejects one bad attestation, rather than refusing every deploy.
				unusable[i] = err
				return nil
			}
			raws[i] = raw
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("fetching freeze statements of %s: %w", env, err)
	}
	var newest *statement
	for i, raw := range raws {
		if unusable[i] != nil {
			st.Ignored = append(st.Ignored, Ignored{Location: all[i].Manifest.String(), Reason: unusable[i].Error()})
			continue
		}
		if raw == nil {
			continue
		}
		s, err := verifyStatement(cfg, raw, a, env, now)
		if err != nil {
			st.Ignored = append(st.Ignored, Ignored{Location: all[i].Manifest.String(), Reason: err.Error()})
			continue
		}
		if newest == nil || s.Since.After(newest.Since) || s.Since.Equal(newest.Since) && s.Frozen {
			newest = s // on a tie a freeze wins: fail closed
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
