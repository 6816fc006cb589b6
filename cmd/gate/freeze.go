package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newFreeze() *cobra.Command { return freezeCommand(true) }

func newUnfreeze() *cobra.Command { return freezeCommand(false) }

// freezeCommand is gate freeze (frozen) or gate unfreeze: the same statement, either way.
func freezeCommand(frozen bool) *cobra.Command {
	var (
		reg     registryFlags
		cfgPath string
		key     string
		until   string
		change  = freeze.Change{Frozen: frozen}
	)
	cmd := &cobra.Command{
		Use:   "freeze --env ENV --reason TEXT [--until TIME] --key KEY",
		Short: "Stop rollouts to an environment: only a rollback to a digest blessed there before is admitted",
		Example: `  gate freeze --env production --reason "incident 4211" --key sre.key
  gate freeze --env production --reason "release night" --until 2026-12-01T08:00:00Z --key sre.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if until != "" {
				t, err := time.Parse(time.RFC3339, until)
				if err != nil {
					return fmt.Errorf("--until %q: want a time such as 2026-12-01T08:00:00Z: %w", until, err)
				}
				change.Until = t
			}
			signer, err := sign.LoadKeyFromEnv(key)
			if err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			cfg, err := loadConfig(ctx, cfgPath, config.OnlyEnvironment(change.Environment))
			if err != nil {
				return err
			}
			now := time.Now()
			if _, err := freeze.Set(ctx, c, signer, cfg, change, now); err != nil {
				return err
			}
			st, err := freeze.Read(ctx, c, cfg, change.Environment, now)
			if err != nil {
				return fmt.Errorf("reading the freeze back: %w", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, st.Describe())
			for _, ig := range st.Ignored {
				fmt.Fprintf(out, "  ignored %s: %s\n", ig.Location, ig.Reason)
			}
			return nil
		},
	}
	if !frozen {
		cmd.Use = "unfreeze --env ENV [--reason TEXT] --key KEY"
		cmd.Short = "Lift an environment's freeze: new blessed digests are admitted again"
		cmd.Example = `  gate unfreeze --env production --reason "incident 4211 resolved" --key sre.key`
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	f := cmd.Flags()
	f.StringVar(&change.Environment, "env", "", "the environment to freeze or unfreeze")
	f.StringVar(&change.Reason, "reason", "", "why, in words the people it stops will read")
	f.StringVar(&key, "key", "", "cosign private key of a role the trust config's freeze.roles names (password from $"+sign.PasswordEnv+")")
	_ = cmd.MarkFlagRequired("env")
	_ = cmd.MarkFlagRequired("key")
	if frozen {
		f.StringVar(&until, "until", "", "end the freeze by itself at this time (RFC 3339); default: until gate unfreeze")
		_ = cmd.MarkFlagRequired("reason")
	}
	return cmd
}

// judgeFreeze applies d's environment's freeze to d, reading it afresh.
func judgeFreeze(ctx context.Context, c *oci.Client, cfg *config.Config, d *gate.Decision) (*gate.Decision, error) {
	g, err := freeze.NewGuard(c, cfg, 0, nil)
	if err != nil {
		return nil, err
	}
	return g.Judge(ctx, d)
}

// checkRunTTL is how long gate check reuses an environment's freeze state: one read per
// environment for a whole run, so every image of a run is judged against the same freeze.
const checkRunTTL = time.Hour

// freezeOption has a checker judge its decisions against their environments' freezes, as the
// webhook's does (admit.WithFreeze, pkg/freeze's Guard); none when cfg has no freeze section.
func freezeOption(c *oci.Client, cfg *config.Config) ([]admit.Option, error) {
	if cfg.Freeze == nil {
		return nil, nil
	}
	g, err := freeze.NewGuard(c, cfg, checkRunTTL, nil)
	if err != nil {
		return nil, err
	}
	return []admit.Option{admit.WithFreeze(g)}, nil
}
