package main

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"
)

// registryFlags are the flags of every command that talks to a registry.
type registryFlags struct {
	timeout  time.Duration
	insecure bool
	verbose  bool
	errOut   func() io.Writer
}

func (f *registryFlags) register(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.timeout, "timeout", 60*time.Second, "give up on the registry after this long (exit 2)")
	cmd.Flags().BoolVar(&f.insecure, "insecure-registry", false, "allow plain HTTP to registries not on loopback")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "log each registry request to stderr (method, URL, status, milliseconds)")
	f.errOut = cmd.ErrOrStderr
}

// client returns a registry client and a context bounded by the timeout.
func (f *registryFlags) client(ctx context.Context) (*oci.Client, context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = f.timeout
	opts := []oci.Option{oci.WithTransport(&loggingTransport{next: t, out: f.errOut, verbose: f.verbose})}
	if f.insecure {
		opts = append(opts, oci.WithInsecure())
	}
	return oci.NewClient(opts...), ctx, cancel
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "gate",
		Short: "Release gates as signed evidence on an image's digest, decided by a Rego policy",
		Long: `gate keeps signed in-toto attestations (tests, scans, coverage, provenance,
stakeholders' GO/NOGO) beside an image in its OCI registry, and decides with a
Rego policy whether that evidence makes the image blessed.

Exit codes, for every command: 0 yes (blessed, admitted, clean, done);
1 the answer is no (not blessed, refused, failing policy tests, lint problems,
unformatted files, flipped decisions); 2 could not decide (an error).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newInit(), newAttest(), newApprove(), newVerify(), newStatus(), newBlessed(), newServe(), newCheck(), newPromote())
	root.AddCommand(newFreeze(), newUnfreeze(), newWatch())
	root.AddCommand(newGenerateKeyPair(), newPolicy(), newDemo(), newWebhook(), newVersion())
	return root
}
