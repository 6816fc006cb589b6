package admission

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	admissionv1 "k8s.io/api/admission/v1"
)

// maxDenialsShown is how many denied images a refusal names, so that it stays two lines.
const maxDenialsShown = 2

// Cluster is what the webhook asks of Kubernetes.
type Cluster interface {
	// NamespaceLabels returns the labels of namespace name.
	NamespaceLabels(ctx context.Context, name string) (map[string]string, error)
	// Keychain returns the registry credentials a pod would pull with: its imagePullSecrets
	// and those of its service account.
	Keychain(ctx context.Context, namespace, serviceAccount string, pullSecrets []string) (authn.Keychain, error)
	// RecordBreakGlass leaves the audit record of a break-glass admission.
	RecordBreakGlass(ctx context.Context, rec BreakGlassRecord) error
}

// Guard is the webhook's decision on a workload: Validate refuses what is not blessed, Mutate
// pins tags to digests. It is safe for concurrent use.
type Guard struct {
	cfg       *workload.Config
	checker   *admit.Checker
	cluster   Cluster
	exempt    map[string]bool
	transport http.RoundTripper
	ociOpts   []oci.Option
	log       *slog.Logger
	metrics   *Metrics
}

// GuardOption configures a Guard.
type GuardOption func(*Guard)

// WithOwnNamespace exempts the webhook's own namespace, so that it can always start itself.
// "" exempts nothing: a request without a namespace is not one from gate's namespace.
func WithOwnNamespace(ns string) GuardOption {
	return func(g *Guard) {
		if ns != "" {
			g.exempt[ns] = true
		}
	}
}

// WithRegistryOptions sets how registries are reached (transport, plain HTTP).
func WithRegistryOptions(opts ...oci.Option) GuardOption {
	return func(g *Guard) { g.ociOpts = append(g.ociOpts, opts...) }
}

// WithLogger sets where break-glass audit lines and failures are logged.
func WithLogger(l *slog.Logger) GuardOption { return func(g *Guard) { g.log = l } }

// WithMetrics sets where verdicts are counted.
func WithMetrics(m *Metrics) GuardOption { return func(g *Guard) { g.metrics = m } }

// NewGuard returns a Guard applying cfg with checker.
func NewGuard(cfg *workload.Config, checker *admit.Checker, cluster Cluster, opts ...GuardOption) *Guard {
	g := &Guard{cfg: cfg, checker: checker, cluster: cluster, exempt: map[string]bool{}, log: slog.Default()}
	for _, ns := range workload.AlwaysExempt {
		g.exempt[ns] = true
	}
	for _, o := range opts {
		o(g)
	}
	if g.metrics == nil {
		g.metrics = NewMetrics(nil)
	}
	return g
}

// request is a workload in a guarded namespace, with the images it newly uses.
type request struct {
	req   *admissionv1.AdmissionRequest
	w     *workload.Workload
	uses  []workload.Use
	scope workload.Scope
	reg   admit.Registry // the request's registry method

	g      *Guard
	once   sync.Once
	client *oci.Client
}

// registry returns the client that reaches registries with the pod's pull secrets, made when
// a registry is first asked: a review whose decisions are cached makes none.
func (r *request) registry() *oci.Client {
	r.once.Do(func() {
		kc := &podKeychain{cluster: r.g.cluster, namespace: r.req.Namespace, serviceAccount: r.w.Spec.ServiceAccountName, pullSecrets: r.w.PullSecrets()}
		r.client = oci.NewClient(append([]oci.Option{oci.WithKeychain(kc)}, r.g.ociOpts...)...)
	})
	return r.client
}

// prepare reads what req asks; a non-nil Response answers it without checking any image.
func (g *Guard) prepare(ctx context.Context, req *admissionv1.AdmissionRequest) (*request, *Response) {
	answer := func(r Response) (*request, *Response) { return nil, &r }
	if g.exempt[req.Namespace] {
		return answer(Allowed("namespace " + req.Namespace + " is never guarded"))
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return answer(Allowed("gate checks creations and updates only"))
	}
	if req.SubResource != "" && !(req.Kind.Kind == "Pod" && req.SubResource == "ephemeralcontainers") {
		return answer(Allowed("subresource " + req.SubResource + " holds no image"))
	}
	gk := workload.Kind{Group: req.Kind.Group, Kind: req.Kind.Kind}
	w, ok, err := workload.Read(gk, req.Object.Raw)
	if !ok {
		return answer(Allowed(req.Kind.Kind + " holds no pod template"))
	}
	if err != nil {
		return answer(Errored(http.StatusBadRequest, err))
	}
	labels, err := g.cluster.NamespaceLabels(ctx, req.Namespace)
	if err != nil {
		return answer(Errored(http.StatusInternalServerError, fmt.Errorf("gate could not read namespace %s, so it refuses: %w", req.Namespace, err)))
	}
	if labels[g.cfg.NamespaceLabel] != "true" {
		return answer(Allowed("namespace " + req.Namespace + " does not opt in"))
	}
	uses := w.Images()
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		if uses, err = newImages(gk, uses, req.OldObject.Raw); err != nil {
			return answer(Errored(http.StatusBadRequest, err))
		}
	}
	if len(uses) == 0 {
		return answer(Allowed("no new image to check"))
	}
	in := &request{req: req, w: w, uses: uses, scope: g.cfg.Applying(req.Namespace, labels), g: g}
	in.reg = in.registry
	return in, nil
}

// newImages drops the uses whose image the old object already had: an update that changes no
// image (a label, a replica count) is not refused because an approval expired since.
func newImages(gk workload.Kind, uses []workload.Use, oldRaw []byte) ([]workload.Use, error) {
	old, _, err := workload.Read(gk, oldRaw)
	if err != nil {
		return nil, fmt.Errorf("reading the old object: %w", err)
	}
	had := map[string]bool{}
	for _, u := range old.Images() {
		had[u.Image] = true
	}
	var out []workload.Use
	for _, u := range uses {
		if !had[u.Image] {
			out = append(out, u)
		}
	}
	return out, nil
}

// Validate admits a workload whose every image is blessed for its namespace's environment.
func (g *Guard) Validate(ctx context.Context, req *admissionv1.AdmissionRequest) Response {
	in, done := g.prepare(ctx, req)
	if done != nil {
		g.metrics.verdict("validate", verdictSkipped, done)
		return *done
	}
	images, unpinned := g.splitUnpinned(workload.Distinct(in.uses))
	results, err := g.checker.Check(ctx, in.reg, in.scope.Environment, images)
	if err != nil {
		resp := Errored(http.StatusInternalServerError, fmt.Errorf("gate could not decide for namespace %s, so it refuses: %w", req.Namespace, err))
		g.metrics.verdict("validate", verdictError, &resp)
		return resp
	}
	if len(unpinned) > 0 {
		results = append(unpinned, results...)
	}
	var denials, notes []string
	var denied []admit.Result
	for _, r := range results {
		g.metrics.image(r)
		if !r.Allowed() {
			denials = append(denials, r.Explain())
			denied = append(denied, r)
		}
		if n := r.FreezeNote(); n != "" {
			notes = append(notes, n)
		}
	}
	resp, verdict := g.verdict(ctx, in, denied, denials)
	if verdict == verdictAllowed && len(notes) > 0 { // a rollback during a freeze says so
		resp = resp.WithWarnings(notes...)
	}
	g.metrics.verdict("validate", verdict, &resp)
	return resp
}

func (g *Guard) verdict(ctx context.Context, in *request, denied []admit.Result, denials []string) (Response, string) {
	if len(denied) == 0 {
		env := in.scope.Environment
		if env == "" {
			env = "the default environment"
		}
		return Allowed("every image is blessed for " + env), verdictAllowed
	}
	if in.scope.Mode == workload.Warn {
		warnings := make([]string, len(denials))
		for i, d := range denials {
			warnings[i] = "gate (warn mode, admitted): " + d
		}
		return Allowed("admitted in warn mode").WithWarnings(warnings...), verdictWarned
	}
	reason, glass := in.w.Annotations[g.cfg.BreakGlass.Annotation]
	if glass && !in.scope.BreakGlass {
		return Denied(denialMessage(denials) + fmt.Sprintf("\n(break-glass is not allowed in namespace %s)", in.req.Namespace)), verdictDenied
	}
	if glass && strings.TrimSpace(reason) == "" {
		return Denied(denialMessage(denials) + fmt.Sprintf("\n(break-glass needs a reason: set annotation %s to why)", g.cfg.BreakGlass.Annotation)), verdictDenied
	}
	if glass {
		if err := g.breakGlass(ctx, in, denied, denials, reason); err != nil {
			return Errored(http.StatusInternalServerError, fmt.Errorf("break-glass could not be recorded, so it is refused: %w", err)), verdictError
		}
		return Allowed("admitted by break-glass").WithWarnings(
			fmt.Sprintf("gate: break-glass admitted this although %s; an Event records who and why", denials[0])), verdictBreakGlass
	}
	return Denied(denialMessage(denials)), verdictDenied
}

// denialMessage is one line per denied image, two at most.
func denialMessage(denials []string) string {
	shown := denials[:min(len(denials), maxDenialsShown)]
	msg := strings.Join(shown, "\n")
	if more := len(denials) - len(shown); more > 0 {
		msg += fmt.Sprintf(" (and %d more images not blessed)", more)
	}
	return msg
}

// Mutate pins each image given by tag to the digest it resolves to, which is the digest that
// Validate then verifies: what runs is what was checked. A tag that cannot be pinned is refused
// here with the reason, unless warn mode or a break-glass may admit it: then it is left for
// Validate, which refuses (or warns about) every tag still unpinned.
func (g *Guard) Mutate(ctx context.Context, req *admissionv1.AdmissionRequest) Response {
	if !*g.cfg.PinDigests {
		return Allowed("digest pinning is off")
	}
	in, done := g.prepare(ctx, req)
	if done != nil {
		g.metrics.verdict("mutate", verdictSkipped, done)
		return *done
	}
	var ops []PatchOperation
	var failures []string
	digests := g.resolveTags(ctx, in.reg, in.uses)
	for _, u := range in.uses {
		if pinned(u.Image) {
			continue
		}
		r := digests[u.Image]
		if r.err != nil {
			if !r.reported {
				g.log.Info("could not pin an image to its digest", "image", u.Image, "err", r.err)
				failures = append(failures, fmt.Sprintf("image %s could not be pinned to a digest, so it is refused: %s; %s",
					u.Image, strings.Join(strings.Fields(r.err.Error()), " "), pinAdvice))
				r.reported = true
			}
			continue
		}
		ops = append(ops, PatchOperation{Op: "replace", Path: u.Path(), Value: u.Image + "@" + r.digest.DigestStr()})
	}
	if len(failures) > 0 {
		if _, glass := in.w.Annotations[g.cfg.BreakGlass.Annotation]; in.scope.Mode == workload.Enforce && !(glass && in.scope.BreakGlass) {
			resp := Denied(denialMessage(failures))
			g.metrics.verdict("mutate", verdictDenied, &resp)
			return resp
		}
	}
	resp := Patched(fmt.Sprintf("pinned %d images to their digests", len(ops)), ops...).WithWarnings(prefixed("gate: ", failures)...)
	g.metrics.verdict("mutate", verdictAllowed, &resp)
	return resp
}

// resolution is what a tag resolved to, or why it did not.
type resolution struct {
	digest   name.Digest
	err      error
	reported bool // the failure is in the answer already (a tag may appear in several containers)
}

// resolveTags resolves every distinct tag of uses at once, so that a Pod of many tags waits for
// its slowest tag rather than for their sum. A panic is recovered as that tag's error: it runs
// on a goroutine of its own, where it would end the process.
func (g *Guard) resolveTags(ctx context.Context, reg admit.Registry, uses []workload.Use) map[string]*resolution {
	out := map[string]*resolution{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, img := range workload.Distinct(uses) {
		if pinned(img) {
			continue
		}
		wg.Go(func() {
			r := &resolution{}
			defer func() {
				if p := recover(); p != nil {
					r = &resolution{err: fmt.Errorf("%w: %v", admit.ErrPanic, p)}
				}
				mu.Lock()
				out[img] = r
				mu.Unlock()
			}()
			r.digest, r.err = g.checker.Resolve(ctx, reg, img)
		})
	}
	wg.Wait()
	return out
}

// pinAdvice says how to get past an image that could not be pinned.
const pinAdvice = "give the image by digest (image@sha256:…), or retry when its registry answers"

// ErrNotPinned refuses an image still given by tag when Validate sees it although pinning is
// on: gate's mutating webhook could not pin it, and the kubelet would pull whatever the tag
// names later, not what gate verified.
var ErrNotPinned = errors.New("it is given by tag and gate's mutating webhook did not pin it to a digest; " + pinAdvice)

// pinned reports whether image names its digest (with or without its tag).
func pinned(image string) bool { return strings.Contains(image, "@") }

// splitUnpinned returns the images to check and, when pinning is on, a refusal for each
// image still given by tag, which is not resolved here: what is verified must be what runs.
func (g *Guard) splitUnpinned(images []string) (check []string, unpinned []admit.Result) {
	if !*g.cfg.PinDigests || !slices.ContainsFunc(images, func(img string) bool { return !pinned(img) }) {
		return images, nil
	}
	for _, img := range images {
		if pinned(img) {
			check = append(check, img)
		} else {
			unpinned = append(unpinned, admit.Result{Image: img, Err: ErrNotPinned})
		}
	}
	return check, unpinned
}

func prefixed(prefix string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = prefix + l
	}
	return out
}

// podKeychain reads a pod's pull secrets when a registry first asks for credentials: a
// decision found in the cache needs none.
type podKeychain struct {
	cluster                   Cluster
	namespace, serviceAccount string
	pullSecrets               []string

	once sync.Once
	kc   authn.Keychain
	err  error
}

func (k *podKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

func (k *podKeychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	k.once.Do(func() { k.kc, k.err = k.cluster.Keychain(ctx, k.namespace, k.serviceAccount, k.pullSecrets) })
	if k.err != nil {
		return nil, fmt.Errorf("reading the pull secrets of namespace %s: %w", k.namespace, k.err)
	}
	return authn.Resolve(ctx, k.kc, r)
}
