package main

import (
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/promote"
	"github.com/spf13/cobra"
)

func newPromote() *cobra.Command {
	var (
		reg          registryFlags
		cfgPath, env string
		output       string
	)
	cmd := &cobra.Command{
		Use:   "promote SRC DST",
		Short: "Copy a blessed image and its verified evidence to another repository: exit 0 promoted, 1 not blessed (nothing copied), 2 could not decide or copy",
		Long: `promote decides whether SRC is blessed in --env, and only then copies it (by
digest: the digest stays the same) to the repository DST, with every
attestation of it that verifies. Attestations that do not verify are not
copied. The copy is verified at DST before promote says it is done. DST is a
repository, reg/repo, or reg/repo:tag to tag the copy once its evidence is
there. Credentials for each registry come from the Docker config file and its
credential helpers.`,
		Example: `  gate promote build.example/app@sha256:… prod.example/app:1.4 --env staging`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			cfg, err := loadConfig(ctx, cfgPath, config.OnlyEnvironment(env))
			if err != nil {
				return err
			}
			r, err := promote.Promote(ctx, c, cfg, env, args[0], args[1], time.Now())
			if err != nil {
				if r != nil { // the copy at DST did not verify alike: show both sides' reasons
					_ = promote.WriteText(cmd.ErrOrStderr(), r)
				}
				return err
			}
			if output == "json" {
				err = writeJSON(cmd.OutOrStdout(), r)
			} else {
				err = promote.WriteText(cmd.OutOrStdout(), r)
			}
			if err != nil {
				return err
			}
			if !r.Source.Allowed {
				return errNotBlessed
			}
			return nil
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&env, "env", "", "environment whose policy must bless SRC (default: the config's defaultEnvironment)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
