package admit

import (
	"context"
	"log/slog"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// WithLogger has the Checker log at debug level which VSA stood for a
// verification, or why none did (see gate.VerifyFast). Without it, nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *Checker) { c.log = l } }

// verify decides d, whose manifest is of kind ("": unknown), in e of cfg: from a fresh VSA
// when e's fast path takes one (the policy is not evaluated, and the VSA's gate names it),
// else in full.
func (c *Checker) verify(ctx context.Context, client *oci.Client, cfg *config.Config, e *config.Environment, d name.Digest, kind types.MediaType) (*gate.Decision, error) {
	if e.FastPath == nil {
		return gate.VerifyResolved(ctx, client, cfg, e.Name, d, kind, d.String(), c.now(), nil)
	}
	dec, fp, err := gate.VerifyFast(ctx, client, cfg, e, d, kind, c.now())
	if c.log != nil && (fp.VSA != "" || len(fp.Ignored) > 0) {
		c.log.DebugContext(ctx, "fast path", "digest", d.String(), "environment", e.Name, "vsa", fp.VSA, "ignored", fp.Ignored)
	}
	return dec, err
}
