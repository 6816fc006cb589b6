// Command gate-webhook serves gate's Kubernetes admission webhook; `gate webhook` runs it.
//
// It is a program of its own because it links Kubernetes' client libraries, whose
// initialization every other gate command would otherwise pay for at start-up.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/admission/certs"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gate-webhook:", err)
		os.Exit(2) // as gate's: could not decide, here could not serve
	}
}

func newRoot() *cobra.Command {
	var o admission.Options
	var logFormat, memoryLimit string
	cmd := &cobra.Command{
		Use:   "gate-webhook",
		Short: "Serve the Kubernetes admission webhook: admit only blessed images, pin tags to digests",
		Long: `Serve gate's validating (` + admission.ValidatePath + `) and mutating (` + admission.MutatePath + `)
admission webhooks over TLS, and /healthz, /readyz and /metrics over plain HTTP.
Every image of a Pod, or of a workload's pod template, in a namespace that opts in
must be blessed for that namespace's environment. The webhook config file says which
namespaces, environments and mode apply; see charts/gate and README.md. Every
reverify.interval (5m) it decides again the images of the Pods running there, and
reports each one no longer blessed (metric, Event on the Pod); it never evicts.
gate webhook runs this program with the same flags.`,
		Example: `  gate-webhook --config /etc/gate/gate.yaml --webhook-config /etc/gate/webhook.yaml \
    --tls-cert /tls/tls.crt --tls-key /tls/tls.key`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Log, err = admission.NewLogger(cmd.ErrOrStderr(), logFormat); err != nil {
				return err
			}
			limit, err := parseMemoryLimit(memoryLimit)
			if err != nil {
				return err
			}
			gc := admission.SetCollector(limit)
			o.Log.Info("garbage collector", "gogc", gc.Percent, "memoryLimitBytes", gc.MemoryLimit, "containerLimitBytes", limit)
			return admission.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	config := os.Getenv("GATE_CONFIG")
	if config == "" {
		config = "gate.yaml"
	}
	f.StringVar(&o.TrustConfig, "config", config, "trust config file (or $GATE_CONFIG)")
	f.StringVar(&o.WebhookConfig, "webhook-config", "", "webhook config file: namespaces, environments, mode, break-glass (default: the defaults)")
	f.StringVar(&o.CertFile, "tls-cert", "tls.crt", "TLS certificate (PEM), reloaded when it changes")
	f.StringVar(&o.KeyFile, "tls-key", "tls.key", "TLS private key (PEM), reloaded when it changes")
	f.StringVar(&o.SelfManaged.Secret, "cert-secret", "", "keep the webhook's own CA and certificate in this Secret of its namespace, rotating them (instead of --tls-cert, --tls-key)")
	f.StringSliceVar(&o.SelfManaged.Webhooks, "webhook-config-names", nil, "with --cert-secret: the webhook configurations whose caBundle to keep in step")
	f.StringSliceVar(&o.SelfManaged.Hosts, "cert-hosts", nil, "with --cert-secret: the certificate's DNS names or IP addresses")
	f.DurationVar(&o.SelfManaged.Overlap, "cert-rotation-overlap", certs.DefaultOverlap, "with --cert-secret: how long each rotation step waits for the last to reach every API server and replica")
	f.StringVar(&o.Addr, "addr", ":8443", "address of the webhooks (TLS)")
	f.StringVar(&o.ProbeAddr, "probe-addr", ":8080", "address of /healthz, /readyz and /metrics (plain HTTP)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file, to run outside a cluster (or $KUBECONFIG; default: the in-cluster config)")
	f.StringVar(&logFormat, "log-format", admission.LogJSON, "log format: "+admission.LogJSON+" or "+admission.LogText+" (client-go's logs too; durations in milliseconds)")
	f.StringVar(&o.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "the webhook's own namespace, never guarded (or $POD_NAMESPACE)")
	f.StringVar(&o.Instance, "instance", os.Getenv("POD_NAME"), "this replica's name, in the Events it writes (or $POD_NAME)")
	f.BoolVar(&o.InsecureRegistry, "insecure-registry", false, "allow plain HTTP to registries not on loopback")
	f.StringVar(&memoryLimit, "memory-limit", os.Getenv("GATE_MEMORY_LIMIT"), "the container's memory limit in bytes, to collect garbage less often under it (or $GATE_MEMORY_LIMIT, which the chart sets from limits.memory; default: not known)")
	return cmd
}

// parseMemoryLimit reads --memory-limit: a whole number of bytes, as the downward API gives a
// container's limits.memory; "" is not known (0).
func parseMemoryLimit(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--memory-limit (or $GATE_MEMORY_LIMIT) %q: want a positive whole number of bytes, as the downward API's resourceFieldRef limits.memory gives it (536870912 for 512Mi)", s)
	}
	return n, nil
}
