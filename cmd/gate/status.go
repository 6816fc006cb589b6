package main

import (
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/release"
	"github.com/spf13/cobra"
)

func newStatus() *cobra.Command {
	var (
		reg     registryFlags
		cfgPath string
		envs    []string
		last    int
		output  string
	)
	cmd := &cobra.Command{
		Use:   "status REPO[:TAG|@DIGEST]",
		Short: "The release table: each digest, its tags, BLESSED or the gates missing per environment, and the votes",
		Long: `status reads every digest a tag of REPO names (or the one image REPO:TAG or
REPO@DIGEST names), verifies its evidence as gate verify does, and shows, newest
build first (by its verified provenance; digests without one come last): per
environment BLESSED, or each missing gate with its reason and the command that
would close it; and each verified GO or NOGO with who, when, why and its expiry.
A frozen environment is shown above the table (who, since, until, why); while it
is frozen only digests blessed there before the freeze are BLESSED, marked
rollback target, as gate verify would say. A Helm chart's repository is named
as helm names it: oci://REGISTRY/REPO.
Exit 0 when the table was read, 2 when it could not be.`,
		Example: `  gate status reg.example/shop --env production --env staging
  gate status reg.example/shop:1.4 --output json
  gate status oci://reg.example/charts/shop --env production`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			cfg, err := loadConfig(ctx, cfgPath)
			if err != nil {
				return err
			}
			t, err := release.Build(ctx, c, cfg, args[0], time.Now(), release.Options{Environments: envs, Last: last})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), t)
			}
			return release.WriteText(cmd.OutOrStdout(), t)
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringArrayVar(&envs, "env", nil, "environment to decide in, repeatable (default: every environment of the config)")
	cmd.Flags().IntVar(&last, "last", release.DefaultLast, "show the newest N digests (-1: all)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
