package release

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
)

// Freeze is an environment frozen as the table was read: who froze it, since when, why and
// until when. While it holds, only digests blessed there before it are BLESSED (rollback
// targets); the rest are not, with a failed freeze gate saying why, as gate verify says.
type Freeze struct {
	Environment string    `json:"environment"`
	Role        string    `json:"role"`
	Signer      string    `json:"signer"` // as the trust config names the key, or the certificate identity
	Reason      string    `json:"reason"`
	Since       time.Time `json:"since"`
	Until       time.Time `json:"until,omitzero"` // zero: until gate unfreeze
	Description string    `json:"description"`    // freeze.State.Describe's sentence
}

// readFreezes reads each environment's freeze state once for the whole table. A state that
// cannot be read is an error: the table is then not to be trusted (gate refuses what it
// cannot decide).
func readFreezes(ctx context.Context, c *oci.Client, cfg *config.Config, envs []*config.Environment, now time.Time) (map[string]*freeze.State, []Freeze, error) {
	states := map[string]*freeze.State{}
	frozen := []Freeze{}
	if cfg.Freeze == nil {
		return states, frozen, nil
	}
	for _, e := range envs {
		st, err := freeze.Read(ctx, c, cfg, e.Name, now)
		if err != nil {
			return nil, nil, fmt.Errorf("reading whether %s is frozen (gate refuses what it cannot decide): %w", e.Name, err)
		}
		states[e.Name] = st
		if st.Frozen {
			who := st.By.Name
			if who == "" {
				who = st.By.Identity
			}
			frozen = append(frozen, Freeze{Environment: e.Name, Role: st.By.Role, Signer: who, Reason: st.Reason,
				Since: st.Since.UTC(), Until: st.Until.UTC(), Description: st.Describe()})
		}
	}
	return states, frozen, nil
}

// judgeFreezes applies each environment's freeze to its decision, as gate verify and the
// webhook do (freeze.Apply, their Guard's judgement).
func judgeFreezes(ctx context.Context, cfg *config.Config, states map[string]*freeze.State, ds []*gate.Decision) error {
	for i, d := range ds {
		j, err := freeze.Apply(ctx, cfg, states[d.Environment], d)
		if err != nil {
			return fmt.Errorf("judging %s against the freeze of %s: %w", d.Digest, d.Environment, err)
		}
		ds[i] = j
	}
	return nil
}

// rollback says whether d was admitted as a rollback while its environment is frozen.
func rollback(d *gate.Decision) bool {
	for _, g := range d.Gates {
		if g.Name == freeze.GateName && g.Passed {
			return d.Allowed
		}
	}
	return false
}

// Frozen returns env's freeze in t, if it is frozen.
func (t *Table) Frozen(env string) (Freeze, bool) {
	for _, f := range t.Freezes {
		if f.Environment == env {
			return f, true
		}
	}
	return Freeze{}, false
}
