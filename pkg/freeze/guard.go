package freeze

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehq/gate/pkg/cache"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
)

// DefaultStateTTL is how long the webhook reuses an environment's freeze state: a freeze
// takes effect, and an unfreeze lifts it, at most this long after it is stored, while a busy
// cluster reads the freeze repository a few times a minute, not once per Pod.
const DefaultStateTTL = 10 * time.Second

// stateReadTimeout bounds one read of a freeze state. The read is shared by
// every review that waits on it (the cache merges them, on a context none of
// them can cancel), so a registry that accepts the connection and never
// answers must not hold an environment's reviews past their own deadlines
// forever: the read fails, those reviews are refused, the next one reads anew.
const stateReadTimeout = 10 * time.Second

// timeLayout is how a freeze's times are shown: to the minute, in UTC, as people say them.
const timeLayout = "2006-01-02 15:04 MST"

// GateName is the gate a freeze adds to a decision it judges.
const GateName = "freeze"

// Guard judges decisions against their environment's freeze. It is safe for concurrent use.
type Guard struct {
	client *oci.Client
	cfg    *config.Config
	ttl    time.Duration
	now    func() time.Time
	states *cache.Cache[string, *State]
}

// NewGuard returns a Guard reading freezes with client, each environment's state reused for
// ttl (zero: read for every decision, as a one-off command does). now is the clock.
func NewGuard(client *oci.Client, cfg *config.Config, ttl time.Duration, now func() time.Time) (*Guard, error) {
	if ttl < 0 {
		return nil, fmt.Errorf("freeze state ttl %s: must not be negative", ttl)
	}
	if now == nil {
		now = time.Now
	}
	states, err := cache.New[string, *State](max(1, len(cfg.Environments)), now)
	if err != nil {
		return nil, fmt.Errorf("making the freeze state cache: %w", err)
	}
	return &Guard{client: client, cfg: cfg, ttl: ttl, now: now, states: states}, nil
}

// Judge returns d as it stands under its environment's freeze: unchanged when nothing is
// frozen or d is already denied; allowed with a passed freeze gate when d is a rollback to a
// digest blessed there before the freeze; otherwise denied, saying by whom, since when, why,
// and what to do. d itself is never modified (it may be cached). An error means the freeze
// could not be read: callers must refuse.
func (g *Guard) Judge(ctx context.Context, d *gate.Decision) (*gate.Decision, error) {
	if g.cfg.Freeze == nil || !d.Allowed {
		return d, nil
	}
	st, _, err := g.states.Do(ctx, d.Environment, func(ctx context.Context) (*State, time.Duration, error) {
		ctx, cancel := context.WithTimeout(ctx, stateReadTimeout)
		defer cancel()
		st, err := Read(ctx, g.client, g.cfg, d.Environment, g.now())
		return st, g.ttl, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading whether %s is frozen (gate refuses what it cannot decide): %w", d.Environment, err)
	}
	if st.Frozen && !st.Until.IsZero() && !g.now().Before(st.Until) {
		st = &State{Environment: st.Environment} // expired while cached
	}
	return Apply(ctx, g.cfg, st, d)
}

// Apply returns d as it stands under st, its environment's freeze state as read by Read: the
// judgement Guard.Judge makes once it has the state, for callers that read the state themselves
// (the release table reads it once for all its digests). d itself is never modified.
func Apply(ctx context.Context, cfg *config.Config, st *State, d *gate.Decision) (*gate.Decision, error) {
	if st == nil || !st.Frozen || !d.Allowed {
		return d, nil
	}
	if st.Environment != d.Environment {
		return nil, fmt.Errorf("the freeze state of %s applied to a decision in %s (a bug in gate)", st.Environment, d.Environment)
	}
	e, err := cfg.Environment(d.Environment)
	if err != nil {
		return nil, err
	}
	ok, why, err := BlessedBefore(ctx, e.Policy, d.Input, st.Since)
	if err != nil {
		return nil, err
	}
	out := *d
	if ok {
		out.Gates = append([]policy.Gate{{Name: GateName, Passed: true, Reason: RollbackReason + st.Describe()}}, d.Gates...)
		return &out, nil
	}
	out.Allowed = false
	// What to do comes before the freeze's own reason, which may be long: a one-line denial
	// (kubectl's) is clipped at its end.
	out.Gates = append([]policy.Gate{{Name: GateName, Passed: false, Reason: fmt.Sprintf(
		"%s is frozen by %s since %s — roll back to a digest blessed before, or `gate unfreeze --env %s`: %q (this digest: %s; the rollback targets: gate blessed REPO --env %s)",
		st.Environment, st.By.Role, st.Since.UTC().Format(timeLayout), st.Environment, st.Reason, why, st.Environment)}}, slices.Clone(d.Gates)...)
	return &out, nil
}

// RollbackReason begins the reason of the passed freeze gate of a rollback admitted while frozen.
const RollbackReason = "admitted as a rollback, blessed here before the freeze: "

// Describe says who froze the environment, since when, why, and until when.
func (s *State) Describe() string {
	if !s.Frozen {
		return s.Environment + " is not frozen"
	}
	msg := fmt.Sprintf("%s is frozen by %s since %s: %q", s.Environment, s.By.Role, s.Since.UTC().Format(timeLayout), s.Reason)
	if !s.Until.IsZero() {
		msg += " until " + s.Until.UTC().Format(timeLayout)
	}
	return msg
}
