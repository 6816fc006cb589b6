package admit

import (
	"context"

	"github.com/gatehq/gate/pkg/gate"
)

// Freeze judges a decision against its environment's freeze (pkg/freeze's Guard is one). It
// must not modify d, which may be cached; an error means the freeze could not be read, and the
// image is refused.
type Freeze interface {
	Judge(ctx context.Context, d *gate.Decision) (*gate.Decision, error)
}

// WithFreeze has every decision judged by f after it is made or taken from the cache: a freeze
// is read on its own schedule, not cached with the decisions it overrules.
func WithFreeze(f Freeze) Option { return func(c *Checker) { c.freeze = f } }

// judgeFreeze applies c's freeze, if any, to a decision just made or found.
func (c *Checker) judgeFreeze(ctx context.Context, r Result) Result {
	if c.freeze == nil || r.Err != nil || r.Decision == nil {
		return r
	}
	r.Decision, r.Err = c.freeze.Judge(ctx, r.Decision)
	if r.Err != nil {
		r.Decision = nil
	}
	return r
}

// freezeGate is the gate a Freeze adds to the decisions it judges (pkg/freeze's GateName).
const freezeGate = "freeze"

// FreezeNote says why r was admitted although its environment is frozen (a rollback to a
// digest blessed there before), for a warning; "" when no freeze had a say.
func (r Result) FreezeNote() string {
	if !r.Allowed() {
		return ""
	}
	for _, g := range r.Decision.Gates {
		if g.Name == freezeGate && g.Passed {
			return "gate: " + r.Image + ": " + g.Reason
		}
	}
	return ""
}
