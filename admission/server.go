package admission

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/record"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// Paths the webhook serves.
const (
	ValidatePath = "/validate"
	MutatePath   = "/mutate"
)

// Server timeouts. Reviews are answered within the deadline; these bound clients that stall,
// not reviews: a connection costs memory however little it sends.
const (
	readHeaderTimeout = 5 * time.Second
	// readTimeout bounds reading a whole review. The API server writes one at once (7 MiB
	// crosses a cluster's network in well under a second), and it waits no longer than its
	// webhook timeout for the answer anyway: 10 s in the chart's configurations.
	readTimeout = 10 * time.Second
	// idleTimeout closes a keep-alive connection no review came on for this long; the API
	// server opens another when it needs one.
	idleTimeout   = 30 * time.Second
	shutdownGrace = 10 * time.Second
	// registryConnsPerHost lets the verifications of one busy registry share warm connections.
	registryConnsPerHost = 32
)

// ErrNoOwnNamespace refuses to start a webhook that does not know its own namespace: it must
// never guard it, or it could not start its own replicas.
var ErrNoOwnNamespace = errors.New("the webhook's own namespace is not known: pass --namespace or set $POD_NAMESPACE (the chart sets it from the Pod's metadata.namespace)")

// Options is what `gate webhook` is given.
type Options struct {
	TrustConfig   string // gate's trust config (gate.yaml)
	WebhookConfig string // the webhook config (webhook.yaml); "" is the defaults
	CertFile      string // TLS certificate and key, reloaded when they change
	KeyFile       string
	Addr          string // the webhooks, over TLS
	ProbeAddr     string // /healthz, /readyz and /metrics, over plain HTTP
	Kubeconfig    string // kubeconfig files, a list as in $KUBECONFIG; "" inside a cluster
	Namespace     string // the webhook's own namespace, never guarded
	Instance      string // this replica's name, in the Events it writes
	// InsecureRegistry allows plain HTTP to registries not on loopback.
	InsecureRegistry bool
	Log              *slog.Logger
	// SelfManaged, when its Secret is set, keeps the webhook's own TLS instead of CertFile and KeyFile.
	SelfManaged SelfManagedCerts
}

// Run serves the webhook until ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.Namespace == "" {
		return ErrNoOwnNamespace
	}
	rc, err := restConfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	// client-go logs through klog: into the webhook's one log, in its format.
	klog.SetSlogLogger(o.Log)
	// Policy bundles are read with the webhook's own credentials, not a Pod's; one that cannot
	// be verified at start stops the webhook here.
	policyClient := oci.NewClient(ownRegistryOptions(o)...)
	trust, err := config.Load(ctx, o.TrustConfig, config.WithPolicyFetcher(bundle.Fetcher(policyClient)))
	if errors.Is(err, oci.ErrUnauthorized) {
		return fmt.Errorf("%w; the webhook reads policy bundles with its own credentials, $DOCKER_CONFIG/config.json (the chart's registryCredentials.secretName)", err)
	}
	if err != nil {
		return err
	}
	cfg, err := workload.LoadConfig(o.WebhookConfig)
	if err != nil {
		return err
	}
	if err := cfg.CheckAgainst(trust); err != nil {
		return fmt.Errorf("%s: %w", o.WebhookConfig, err)
	}
	opts := []admit.Option{admit.WithCacheSize(cfg.Cache.Size),
		admit.WithTTL(*cfg.Cache.BlessedTTL, *cfg.Cache.DeniedTTL), admit.WithVerifyTimeout(cfg.Deadline), admit.WithLogger(o.Log)}
	var reverifyOpts []ReverifyOption
	if cfg.Records != "" {
		w, err := record.Open(cfg.Records)
		if err != nil {
			return err
		}
		defer w.Close()
		opts = append(opts, admit.WithRecords(w))
		reverifyOpts = append(reverifyOpts, WithReverifyRecords(w))
	}
	if trust.Freeze != nil {
		// The freeze repository is read with the webhook's own credentials, not a Pod's.
		g, err := freeze.NewGuard(oci.NewClient(ownRegistryOptions(o)...), trust, freeze.DefaultStateTTL, nil)
		if err != nil {
			return err
		}
		opts = append(opts, admit.WithFreeze(g))
		reverifyOpts = append(reverifyOpts, WithReverifyFreeze(g))
	}
	checker, err := admit.NewChecker(trust, opts...)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("making the Kubernetes client: %w", err)
	}
	cluster := NewKubeCluster(ctx, client, o.Instance)
	getCert, err := servingCert(ctx, client, o)
	if err != nil {
		return err
	}
	metrics := NewMetrics(checker.Cached)
	policies := admit.NewPolicyWatch(checker, policyClient, o.Log)
	metrics.watchPolicies(policies)
	transport := remote.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = cfg.Deadline
	transport.MaxIdleConnsPerHost = registryConnsPerHost
	regOpts := []oci.Option{oci.WithTransport(transport)}
	if o.InsecureRegistry {
		regOpts = append(regOpts, oci.WithInsecure())
	}
	guard := NewGuard(cfg, checker, cluster, WithOwnNamespace(o.Namespace), WithLogger(o.Log),
		WithMetrics(metrics), WithRegistryOptions(regOpts...))
	reverifier, err := startReverifier(ctx, guard, trust, client, append(reverifyOpts, WithEventHost(o.Instance))...)
	if err != nil {
		return err
	}
	// A new policy re-checks the running Pods at once (a nil Reverifier, when off, ignores it).
	policies.OnPolicyChange = func(string) { reverifier.Trigger() }
	go policies.Run(ctx)

	webhooks := &http.Server{
		Addr: o.Addr, Handler: guard.Mux(),
		ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout,
		// Reading, deciding and answering: a review never needs longer.
		WriteTimeout: readTimeout + cfg.Deadline + answerMargin,
		TLSConfig:    &tls.Config{GetCertificate: getCert, MinVersion: tls.VersionTLS12},
		ErrorLog:     slog.NewLogLogger(o.Log.Handler(), slog.LevelDebug),
	}
	probes := &http.Server{Addr: o.ProbeAddr, Handler: probeMux(metrics, cluster.Synced),
		ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, WriteTimeout: readTimeout, IdleTimeout: idleTimeout}
	o.Log.Info("serving gate's admission webhook", "addr", o.Addr, "probes", o.ProbeAddr,
		"mode", cfg.Mode, "pinDigests", *cfg.PinDigests, "deadline", cfg.Deadline)
	return serve(ctx, webhooks, probes)
}

// Mux routes the validating and mutating webhooks to g, under g's deadline, holding at most
// MaxBytesInFlight of reviews at once.
func (g *Guard) Mux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(ValidatePath, &Endpoint{Handler: HandlerFunc(g.Validate), Deadline: g.cfg.Deadline, Log: g.log, Observe: g.metrics.observe("validate")})
	mux.Handle(MutatePath, &Endpoint{Handler: HandlerFunc(g.Mutate), Deadline: g.cfg.Deadline, Log: g.log, Observe: g.metrics.observe("mutate")})
	return limitInFlight(MaxBytesInFlight, mux)
}

func probeMux(m *Metrics, ready func() bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "namespaces not yet read from the API server", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	return mux
}

// serve runs the webhook server over TLS and the probe server until ctx is done or either fails.
func serve(ctx context.Context, webhooks, probes *http.Server) error {
	errs := make(chan error, 2)
	listen := func(s *http.Server, tls bool) {
		ln, err := net.Listen("tcp", s.Addr)
		if err != nil {
			errs <- fmt.Errorf("listening on %s: %w", s.Addr, err)
			return
		}
		if tls {
			err = s.ServeTLS(ln, "", "")
		} else {
			err = s.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errs <- err
		}
	}
	go listen(webhooks, true)
	go listen(probes, false)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	return errors.Join(err, webhooks.Shutdown(shutdown), probes.Shutdown(shutdown))
}
