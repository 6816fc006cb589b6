package admit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
)

// policyPollTimeout bounds one poll of a policy tag, fetch and compile
// included: a registry that does not answer delays the next policy, never a review.
const policyPollTimeout = 30 * time.Second

// Config returns the trust config the Checker decides with now.
func (c *Checker) Config() *config.Config { return c.cfg.Load() }

// WithConfigOf has the Checker decide with other's config, as it is swapped
// (PolicyWatch), instead of its own: for a second Checker over the same
// policies with other cache settings (the webhook's re-verification). A nil
// other leaves the Checker its own.
func WithConfigOf(other *Checker) Option {
	return func(c *Checker) {
		if other != nil {
			c.cfg = other.cfg
		}
	}
}

// swapPolicy has environment env decide with p from now
// on; checks under way finish with the policy they started with. Decisions
// made with the old policy are not reused: they are cached under its
// version, which a new policy does not share, and age out.
func (c *Checker) swapPolicy(env string, p *policy.Policy) error {
	for {
		old := c.cfg.Load()
		cfg, err := old.WithPolicy(env, p)
		if err != nil {
			return err
		}
		if c.cfg.CompareAndSwap(old, cfg) {
			return nil
		}
	}
}

// PolicyWatch follows the tags of the environments whose policy is an
// oci:// bundle followed by tag: every environment's Bundle.Poll it asks
// where the tag points, and on a new digest fetches the bundle, verifies its
// signature, compiles it and swaps it into the Checker. Any failure keeps
// the policy in use (never none), is logged with what to do, and counted.
type PolicyWatch struct {
	checker *Checker
	client  *oci.Client
	log     *slog.Logger
	// OnPolicyChange, if set, is called after an environment's policy changed.
	OnPolicyChange func(env string)

	swaps, failures atomic.Int64
}

// NewPolicyWatch returns a PolicyWatch of c's followed policies, reading the
// registry through client (the server's own credentials, not a Pod's).
func NewPolicyWatch(c *Checker, client *oci.Client, log *slog.Logger) *PolicyWatch {
	return &PolicyWatch{checker: c, client: client, log: log}
}

// Swaps counts the policies swapped in; Failures, the polls that kept the
// policy in use because the new one could not be read, verified or compiled.
func (w *PolicyWatch) Swaps() int64    { return w.swaps.Load() }
func (w *PolicyWatch) Failures() int64 { return w.failures.Load() }

// Run polls every followed environment until ctx is done.
func (w *PolicyWatch) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for name, e := range w.checker.Config().Environments {
		if e.Bundle == nil || e.Bundle.Pinned {
			continue
		}
		w.log.Info("following a policy bundle", "environment", name, "policy", config.BundleScheme+e.Bundle.Ref, "poll", e.Bundle.Poll)
		wg.Go(func() {
			t := time.NewTicker(e.Bundle.Poll)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := w.Poll(ctx, name); err != nil && ctx.Err() == nil {
						w.failures.Add(1)
						w.log.Warn("keeping the policy in use", "environment", name, "policy", e.Bundle.Ref, "err", err,
							"next", "push a bundle signed by a role whose maySign lists policy (gate policy push), or move the tag back to a signed digest")
					}
				}
			}
		})
	}
	wg.Wait()
}

// Poll asks once where env's policy tag points, and swaps in the bundle
// there if it is not the one in use. An error leaves the policy as it was.
func (w *PolicyWatch) Poll(ctx context.Context, env string) error {
	ctx, cancel := context.WithTimeout(ctx, policyPollTimeout)
	defer cancel()
	cfg := w.checker.Config()
	e, err := cfg.Environment(env)
	if err != nil {
		return err
	}
	if e.Bundle == nil {
		return fmt.Errorf("environment %s has no policy bundle to follow", env)
	}
	d, err := w.client.Resolve(ctx, e.Bundle.Ref)
	if err != nil {
		return err
	}
	if config.BundleScheme+d.String() == e.Policy.Version() {
		return nil
	}
	// The digest, not the tag: what is verified is what is compiled, wherever the tag moves meanwhile.
	f, err := bundle.Fetch(ctx, w.client, cfg, d.String())
	if err != nil {
		return err
	}
	if err := w.checker.swapPolicy(env, f.Policy); err != nil {
		return err
	}
	w.swaps.Add(1)
	w.log.Info("policy changed", "environment", env, "from", e.Policy.Version(), "to", f.Policy.Version(), "signers", f.Signers)
	if w.OnPolicyChange != nil {
		w.OnPolicyChange(env)
	}
	return nil
}
