package main

import (
	"fmt"
	"os"

	"github.com/gatehq/gate/pkg/notify"
	"github.com/gatehq/gate/pkg/release"
	"github.com/spf13/cobra"
)

// webhookURLEnv holds the incoming-webhook URL when --webhook-url is not given: the URL is
// its own credential, better kept out of process listings.
const webhookURLEnv = "GATE_WEBHOOK_URL"

func newWatch() *cobra.Command {
	var (
		reg      registryFlags
		cfgPath  string
		url      string
		opts     release.Options
		interval = notify.DefaultInterval
	)
	cmd := &cobra.Command{
		Use:   "watch REPO... --webhook-url URL [--interval 30s]",
		Short: "Post to Slack or Mattermost when evidence or a vote lands on a repository, or a decision flips",
		Long: `Read the release table of each repository every --interval and post to an incoming
webhook (Slack's or Mattermost's) one message per digest on which evidence or a vote
landed, or whose decision flipped, with its gates as a compact table. The first pass
announces nothing: it is the baseline. What was announced is remembered in memory only.`,
		Example: `  GATE_WEBHOOK_URL=https://hooks.slack.com/services/… gate watch reg.example/shop --env production`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			longRunning()
			if url == "" {
				url = os.Getenv(webhookURLEnv)
			}
			c, _, cancel := reg.client(cmd.Context())
			cancel() // each request is bounded by the registry transport's --timeout
			cfg, err := loadConfig(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			w, err := notify.New(c, cfg, args, url, opts, nil)
			if err != nil {
				return fmt.Errorf("%w (--webhook-url or $%s)", err, webhookURLEnv)
			}
			return w.Run(cmd.Context(), interval, func(err error) {
				fmt.Fprintf(cmd.ErrOrStderr(), "gate watch: %v (trying again in %s)\n", err, interval)
			})
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	f := cmd.Flags()
	f.StringVar(&url, "webhook-url", "", "incoming-webhook URL of a Slack or Mattermost channel (or $"+webhookURLEnv+")")
	f.DurationVar(&interval, "interval", interval, "how often to read the registry")
	f.StringSliceVar(&opts.Environments, "env", nil, "environments to decide in (default: all)")
	f.IntVar(&opts.Last, "last", 0, "digests per repository to watch, newest first (default 10)")
	return cmd
}
