package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/release"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"
)

func newBlessed() *cobra.Command {
	var (
		reg          registryFlags
		cfgPath, env string
		latest       bool
		before       string
		output       string
	)
	cmd := &cobra.Command{
		Use:   "blessed REPO",
		Short: "The digests blessed in an environment, newest first: the rollback targets (exit 1 if none)",
		Long: `blessed lists the digests of REPO (those a tag names) blessed in the
environment, newest build first. --latest prints the newest alone as REPO@DIGEST,
for scripts; --before DIGEST the newest blessed one built before DIGEST.
While the environment is frozen only the digests blessed there before the freeze
are listed (marked rollback target; the freeze is said on stderr): --latest then
prints the newest of them, the one a rollback would go to.
Exit 0 with an answer, 1 when no digest is blessed, 2 when gate could not decide.`,
		Example: `  kubectl set image deploy/shop shop=$(gate blessed reg.example/shop --env production --latest)
  gate blessed reg.example/shop --env production --before sha256:…`,
		Args: cobra.ExactArgs(1),
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
			e, err := cfg.Environment(env)
			if err != nil {
				return err
			}
			opts := release.Options{Environments: []string{e.Name}, Last: -1}
			var beforeDigest name.Digest
			if before != "" {
				r, err := c.ParseReference(args[0])
				if err != nil {
					return err
				}
				if beforeDigest, err = name.NewDigest(r.Context().Name() + "@" + before); err != nil {
					return fmt.Errorf("--before %q: want a digest (sha256:…): %w", before, err)
				}
				opts.Include = []name.Digest{beforeDigest}
			}
			t, err := release.Build(ctx, c, cfg, args[0], time.Now(), opts)
			if err != nil {
				return err
			}
			rows := release.Blessed(t, e.Name)
			if before != "" {
				row, err := release.Before(t, e.Name, beforeDigest.DigestStr())
				if err != nil {
					return blessedAnswer(cmd, err)
				}
				rows = []release.Row{row}
			}
			frozen, isFrozen := t.Frozen(e.Name)
			if len(rows) == 0 {
				err := fmt.Errorf("%w in %s among the %d digests tagged in %s", release.ErrNoneBlessed, e.Name, len(t.Rows), t.Repository)
				if isFrozen {
					err = fmt.Errorf("%w (%s: only a digest blessed there before the freeze counts)", err, frozen.Description)
				}
				return blessedAnswer(cmd, err)
			}
			if isFrozen {
				// On stderr, after the answer: --latest's standard output stays one reference.
				defer fmt.Fprintf(cmd.ErrOrStderr(), "gate: %s; only rollbacks are admitted there: these digests were blessed before the freeze\n", frozen.Description)
			}
			if latest {
				rows = rows[:1]
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				return writeJSON(out, rows)
			}
			for _, r := range rows {
				if latest || before != "" {
					fmt.Fprintln(out, r.Reference)
					continue
				}
				fmt.Fprintf(out, "%s\t%s\t%s%s\n", r.Reference, builtAt(r), tagList(r), rollbackMark(r, e.Name))
			}
			return nil
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&env, "env", "", "environment (default: the config's defaultEnvironment)")
	cmd.Flags().BoolVar(&latest, "latest", false, "print only the newest blessed digest, as REPO@DIGEST")
	cmd.Flags().StringVar(&before, "before", "", "print the newest digest blessed before this one (sha256:…)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.MarkFlagsMutuallyExclusive("latest", "before")
	return cmd
}

// blessedAnswer turns "none is blessed" into exit 1, saying so on stderr
// with what to do; any other error stays exit 2.
func blessedAnswer(cmd *cobra.Command, err error) error {
	if !errors.Is(err, release.ErrNoneBlessed) {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "gate: %v: gate status shows what each digest lacks\n", err)
	return errNotBlessed
}

func builtAt(r release.Row) string {
	if r.Built.IsZero() {
		return "built ?"
	}
	return "built " + r.Built.Format(time.RFC3339)
}

func tagList(r release.Row) string {
	if len(r.Tags) == 0 {
		return "(untagged)"
	}
	return strings.Join(r.Tags, ",")
}

// rollbackMark marks a row blessed in env only because it was blessed there before env's freeze.
func rollbackMark(r release.Row, env string) string {
	if v, ok := r.Verdict(env); ok && v.Rollback {
		return "\trollback target"
	}
	return ""
}
