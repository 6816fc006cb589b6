package admit

import (
	"context"
	"log/slog"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
)

// WithLogger has the Checker log at debug level which VSA stood for a
// verification, or why none did (see gate.VerifyFast). Without it, nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *Checker) { c.log = l } }

// verify decides d in e of cfg: from a fresh VSA when e's fast path takes one (the
// policy is not evaluated, and the VSA's gate names it), else in full.
func (c *Checker) verify(ctx context.Context, client *oci.Client, cfg *config.Config, e *config.Environment, d name.Digest) (*gate.Decision, error) {
	if e.FastPath == nil {
		return gate.Verify(ctx, client, cfg, e.Name, d.String(), c.now())
	}
	dec, fp, err := gate.VerifyFast(ctx, client, cfg, e, d, c.now())
	if c.log != nil && (fp.VSA != "" || len(fp.Ignored) > 0) {
		c.log.DebugContext(ctx, "fast path", "digest", d.String(), "environment", e.Name, "vsa", fp.VSA, "ignored", fp.Ignored)
	}
	return dec, err
}
