package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"os"

	"github.com/gatehq/gate/pkg/chatops"
	"github.com/gatehq/gate/pkg/readiness"
	"github.com/gatehq/gate/pkg/release"
	"github.com/spf13/cobra"
)

// slackSecretEnv holds Slack's signing secret: an environment variable, not
// a flag, so that it shows in no process listing. When it is set, serve
// also answers the /gate slash command at slackPath.
const (
	slackSecretEnv = "GATE_SLACK_SIGNING_SECRET"
	// mattermostTokenEnv holds the token Mattermost shows for the slash command; with it set,
	// the same endpoint answers Mattermost too.
	mattermostTokenEnv = "GATE_MATTERMOST_TOKEN"
	slackPath          = "/slack/command"
)

// serveReadHeaderTimeout bounds how long a client may take to send its
// request's headers: a page for people, not a slow-loris target.
const serveReadHeaderTimeout = 10 * time.Second

func newServe() *cobra.Command {
	var (
		reg     registryFlags
		cfgPath string
		addr    string
		envs    []string
		last    int
		refresh time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve REPO[:TAG|@DIGEST]...",
		Short: "Serve the release-readiness page for the GO/NOGO meeting (read-only, on localhost)",
		Long: `serve shows, on one page that reloads itself, the release table of each
repository (as gate status shows it): per environment BLESSED or the gates still
missing with their reasons and the command that would close each, and every
verified vote with who, when, why and its expiry. It only reads. It listens on
127.0.0.1 unless --addr says otherwise.

With $GATE_SLACK_SIGNING_SECRET set, it also answers Slack's slash command
(/gate status REF, /gate blessed REPO, /gate approve REF --role R) at
/slack/command: signed requests only, within Slack's 5-minute window, once.
With $GATE_MATTERMOST_TOKEN set, the same endpoint answers Mattermost's slash
command, carrying that token (compared in constant time).`,
		Example: `  gate serve reg.example/shop reg.example/cart --env production --addr 127.0.0.1:8080`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			longRunning()
			c, _, cancel := reg.client(context.Background())
			cancel() // the page bounds each read itself, with --timeout
			cfg, err := loadConfig(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			opts := readiness.Options{Repositories: args, Environments: envs, Last: last, Refresh: refresh}
			if cmd.Flags().Changed("timeout") {
				opts.Timeout = reg.timeout // else the page's own default, below the refresh
			}
			p, err := readiness.New(c, cfg, opts)
			if err != nil {
				return err
			}
			mux := http.NewServeMux()
			mux.Handle("/", p)
			creds := chatops.Credentials{SlackSecret: os.Getenv(slackSecretEnv), MattermostToken: os.Getenv(mattermostTokenEnv)}
			if creds != (chatops.Credentials{}) {
				chat, err := chatops.NewFor(creds, c, cfg)
				if err != nil {
					return err
				}
				mux.Handle(slackPath, chat)
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listening on %s: %w (pick another with --addr)", addr, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "gate: the readiness page is at http://%s/ (Ctrl-C stops it)\n", l.Addr())
			if creds != (chatops.Credentials{}) {
				fmt.Fprintf(cmd.ErrOrStderr(), "gate: the /gate slash command (Slack, Mattermost) is answered at http://%s%s\n", l.Addr(), slackPath)
			}
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: serveReadHeaderTimeout}
			go func() {
				<-cmd.Context().Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (the default is reachable from this machine only)")
	cmd.Flags().StringArrayVar(&envs, "env", nil, "environment to show, repeatable (default: every environment of the config)")
	cmd.Flags().IntVar(&last, "last", release.DefaultLast, "newest N digests per repository")
	cmd.Flags().DurationVar(&refresh, "refresh", readiness.DefaultRefresh, "how often the page reloads itself")
	return cmd
}
