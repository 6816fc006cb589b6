package freeze

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/pkg/verify"
)

// Change is a freeze or an unfreeze someone asks for.
type Change struct {
	Environment string
	Frozen      bool
	Reason      string
	// Until ends a freeze by itself; zero: until an unfreeze.
	Until time.Time
}

// Set signs change with s and stores it as the newest statement about its environment's
// freeze, returning who it verified as. It refuses, before storing anything, a change the
// trust config would ignore: a key whose role may not freeze.
func Set(ctx context.Context, c *oci.Client, s *sign.Signer, cfg *config.Config, change Change, now time.Time) (verify.Signer, error) {
	if _, err := cfg.Environment(change.Environment); err != nil {
		return verify.Signer{}, err
	}
	if change.Frozen && strings.TrimSpace(change.Reason) == "" {
		return verify.Signer{}, fmt.Errorf("a freeze needs a reason: the people it stops will read it")
	}
	if !change.Until.IsZero() && (!change.Frozen || !change.Until.After(now)) {
		return verify.Signer{}, fmt.Errorf("--until %s: only a freeze has an end, and it must be in the future", change.Until.Format(time.RFC3339))
	}
	a, err := Anchor(c, cfg, change.Environment)
	if err != nil {
		return verify.Signer{}, err
	}
	p := attestations.Freeze{Environment: change.Environment, Frozen: change.Frozen, Reason: change.Reason, Since: now.UTC(), Until: change.Until.UTC()}
	st, err := attestations.Statement(a.Digest.Context().Name(), a.Digest.DigestStr(), attestations.FreezeType, p)
	if err != nil {
		return verify.Signer{}, err
	}
	bundle, err := s.Sign(st)
	if err != nil {
		return verify.Signer{}, err
	}
	ev, err := cfg.Trust.Bundle(bundle, a.Digest.DigestStr())
	if err != nil {
		return verify.Signer{}, fmt.Errorf("checking the key against the trust config: only the roles in freeze.roles (%s) may freeze or unfreeze; sign with one of their keys: %w", strings.Join(cfg.Freeze.Roles, ", "), err)
	}
	if err := c.PutAnchor(ctx, a); err != nil {
		return verify.Signer{}, err
	}
	// Annotated with the signed time, which Read relies on to read the newest statements first.
	if _, err := c.PushAt(ctx, a.Digest, bundle, attestations.FreezeType, p.Since); err != nil {
		return verify.Signer{}, fmt.Errorf("storing the freeze of %s: %w", change.Environment, err)
	}
	return ev.Signer, nil
}
