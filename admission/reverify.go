package admission

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/cache"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/record"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	kcache "k8s.io/client-go/tools/cache"
)

// passShareTTL is how long a re-decision is reused at most: a pass lasts seconds, and a
// Trigger soon after a pass must not be answered from decisions older than this. A policy
// change needs no fresher one: the policy's version is part of the key.
const passShareTTL = 15 * time.Second

// maxGroupsInFlight bounds how many groups of Pods (a namespace's, with one set of
// credentials) are decided at once: a pass over a hundred namespaces waits for its slowest
// registries, not for their sum, without opening a hundred verifications at once.
const maxGroupsInFlight = 8

// podSyncPatience is how long the Pod cache may take to fill before the webhook says it cannot:
// a large cluster's Pods are read in seconds; a minute means it is not allowed to.
const podSyncPatience = time.Minute

// recordOrigin names re-decisions in the decision records.
const recordOrigin = "reverify"

// Reverifier decides again, on an interval and when triggered, every image that the Pods of
// guarded namespaces run, and reports each one no longer blessed: a gauge per namespace and
// image, an Event on each Pod that runs it, a decision record. It never evicts or deletes.
// It reads Pods from an informer's cache, never listing them from the API server per pass.
type Reverifier struct {
	guard    *Guard         // which namespaces are guarded, their environments, credentials
	checker  *admit.Checker // its own, keeping a decision for less than an interval
	events   *podEvents
	pods     listersv1.PodLister
	informer kcache.SharedIndexInformer
	interval time.Duration
	records  *record.Writer
	trigger  chan struct{}
	log      *slog.Logger

	// Touched by the pass loop only.
	reported map[podImage]imageState // per Pod and image, the state its last Event said
	series   map[[2]string]bool      // the gauge series the last pass set
}

// ReverifyOption configures a Reverifier.
type ReverifyOption func(*reverifyOptions)

type reverifyOptions struct {
	records  *record.Writer
	freeze   admit.Freeze
	instance string
}

// WithReverifyRecords appends the record of every re-decision to w, with origin "reverify".
func WithReverifyRecords(w *record.Writer) ReverifyOption {
	return func(o *reverifyOptions) { o.records = w }
}

// WithReverifyFreeze judges re-decisions against their environment's freeze, as admission does.
func WithReverifyFreeze(f admit.Freeze) ReverifyOption {
	return func(o *reverifyOptions) { o.freeze = f }
}

// WithEventHost names this replica in the Events it writes.
func WithEventHost(instance string) ReverifyOption {
	return func(o *reverifyOptions) { o.instance = instance }
}

// NewReverifier returns a Reverifier of the Pods that client sees, in the namespaces g guards,
// deciding with trust every interval (which must be positive). Start it with Run.
func NewReverifier(g *Guard, trust *config.Config, client kubernetes.Interface, interval time.Duration, opts ...ReverifyOption) (*Reverifier, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("reverify interval %s: must be positive (set reverify.interval in the webhook config; 0 there disables re-verification)", interval)
	}
	var o reverifyOptions
	for _, opt := range opts {
		opt(&o)
	}
	// A decision is kept for less than an interval, so that each pass decides afresh, and long
	// enough that the Pods of several namespaces (or credentials) running one image in one
	// environment share one verification within a pass.
	ttl := min(interval/2, passShareTTL)
	// It decides with the admission Checker's policies as they are swapped (a followed policy
	// bundle), never with those of the moment it started.
	checkerOpts := []admit.Option{admit.WithCacheSize(g.cfg.Cache.Size), admit.WithTTL(ttl, ttl), admit.WithVerifyTimeout(g.cfg.Deadline),
		admit.WithConfigOf(g.checker)}
	if o.freeze != nil {
		checkerOpts = append(checkerOpts, admit.WithFreeze(o.freeze))
	}
	checker, err := admit.NewChecker(trust, checkerOpts...)
	if err != nil {
		return nil, err
	}
	// No resync: a pass reads the cache as it stands, and nothing is done per Pod event.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(trimPod))
	pods := factory.Core().V1().Pods()
	r := &Reverifier{
		guard: g, checker: checker, events: &podEvents{client: client, instance: o.instance, interval: interval},
		pods: pods.Lister(), informer: pods.Informer(), interval: interval, records: o.records,
		trigger: make(chan struct{}, 1), log: g.log,
		reported: map[podImage]imageState{}, series: map[[2]string]bool{},
	}
	return r, nil
}

// startReverifier runs a Reverifier until ctx is done, unless the webhook config turns
// re-verification off: then it returns nil, whose Trigger does nothing.
func startReverifier(ctx context.Context, g *Guard, trust *config.Config, client kubernetes.Interface, opts ...ReverifyOption) (*Reverifier, error) {
	if *g.cfg.Reverify.Interval == 0 {
		g.log.Info("re-verification of running Pods is off (reverify.interval is 0)")
		return nil, nil
	}
	r, err := NewReverifier(g, trust, client, *g.cfg.Reverify.Interval, opts...)
	if err != nil {
		return nil, err
	}
	go r.Run(ctx)
	return r, nil
}

// trimPod keeps of a Pod what a pass reads, so that the cache of a large cluster stays small.
func trimPod(obj any) (any, error) {
	if p, ok := obj.(*corev1.Pod); ok {
		p.ManagedFields = nil
		p.Annotations = nil
		p.Spec.Volumes = nil
		p.Status.Conditions = nil
	}
	return obj, nil
}

// Trigger asks for a pass now, without waiting for the interval: when the policy or a freeze
// changed. It never blocks; triggers that arrive during a pass make one more pass. A nil
// Reverifier (re-verification disabled) ignores it.
func (r *Reverifier) Trigger() {
	if r == nil {
		return
	}
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Run watches Pods and makes a pass every interval and on each Trigger, until ctx is done.
func (r *Reverifier) Run(ctx context.Context) {
	go r.informer.Run(ctx.Done())
	for {
		wait, cancel := context.WithTimeout(ctx, podSyncPatience)
		synced := kcache.WaitForCacheSync(wait.Done(), r.informer.HasSynced)
		cancel()
		if synced {
			break
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("running Pods are not re-verified: the webhook cannot list and watch Pods; grant its service account pods get, list and watch (the chart's ClusterRole does), or set reverify.interval: 0s in the webhook config",
			"waited", podSyncPatience)
	}
	r.log.Info("re-verifying the images of running Pods", "interval", r.interval)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		r.Pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.trigger:
		}
	}
}

// imageState is what a pass found about one image, as the gauge reads it.
type imageState int

const (
	couldNotDecide imageState = -1
	notBlessed     imageState = 0
	blessed        imageState = 1
)

func stateOf(res admit.Result) imageState {
	switch {
	case res.Allowed():
		return blessed
	case res.Err != nil:
		return couldNotDecide
	}
	return notBlessed
}

// podImage is one image of one Pod.
type podImage struct {
	uid   string
	image string
}

// use is a Pod that runs an image.
type use struct {
	pod   *corev1.Pod
	image string // the reference decided: pinned to the digest running where known
}

// credentials are what a group of Pods pulls with: the same namespace, service account and
// pull secrets. Their images are decided with those credentials, as the kubelet pulled them.
type credentials struct {
	namespace, serviceAccount, pullSecrets string
}

// Pass decides every image that a Pod of a guarded namespace runs, and reports the results.
// Passes must not overlap: Run makes them one at a time.
func (r *Reverifier) Pass(ctx context.Context) {
	pods, err := r.pods.List(labels.Everything())
	if err != nil { // a cache lister does not fail; if it did, report nothing rather than guess
		r.log.Error("reading Pods from the cache", "err", err)
		return
	}
	groups := map[credentials][]use{}
	scopes := map[string]*workload.Scope{} // nil: the namespace is not guarded
	unread := map[string]bool{}            // namespaces whose labels could not be read
	results := map[podImage]admit.Result{}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || r.guard.exempt[p.Namespace] {
			continue
		}
		s, seen := scopes[p.Namespace]
		if !seen {
			var err error
			if s, err = r.scopeOf(ctx, p.Namespace); err != nil {
				// Reported neither as blessed nor as anything else: the namespace's series
				// stay as the last pass that could read it left them.
				r.log.Warn("could not read a namespace's labels, so its Pods are not re-verified this pass", "namespace", p.Namespace, "err", err)
				unread[p.Namespace] = true
			}
			scopes[p.Namespace] = s
		}
		if s == nil {
			continue
		}
		secrets := make([]string, 0, len(p.Spec.ImagePullSecrets))
		for _, ref := range p.Spec.ImagePullSecrets {
			secrets = append(secrets, ref.Name)
		}
		slices.Sort(secrets)
		k := credentials{p.Namespace, p.Spec.ServiceAccountName, strings.Join(secrets, "\x00")}
		for _, img := range runningImages(p) {
			groups[k] = append(groups[k], use{pod: p, image: img})
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxGroupsInFlight)
	for k, uses := range groups {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			decided := r.decide(ctx, k, scopes[k.namespace].Environment, uses)
			mu.Lock()
			defer mu.Unlock()
			for _, u := range uses {
				results[podImage{string(u.pod.UID), u.image}] = decided[u.image]
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil { // shutting down: what was cut short is no finding
		return
	}
	r.report(ctx, groups, unread, results)
}

// decide decides the images of uses, with the credentials of k, in env.
func (r *Reverifier) decide(ctx context.Context, k credentials, env string, uses []use) map[string]admit.Result {
	images := make([]string, 0, len(uses))
	for _, u := range uses {
		images = append(images, u.image)
	}
	images = withoutRepeats(images)
	checked, err := r.checker.Check(ctx, r.registry(k), env, images)
	if err != nil { // an environment the trust config lacks: nothing of the namespace is decided
		checked = make([]admit.Result, len(images))
		for i, img := range images {
			checked[i] = admit.Result{Image: img, Err: err}
		}
	}
	out := make(map[string]admit.Result, len(checked))
	for _, res := range checked {
		out[res.Image] = res
		r.record(res)
	}
	return out
}

// scopeOf returns what applies in namespace ns, or nil when ns is not guarded.
func (r *Reverifier) scopeOf(ctx context.Context, ns string) (*workload.Scope, error) {
	l, err := r.guard.cluster.NamespaceLabels(ctx, ns)
	if err != nil || l[r.guard.cfg.NamespaceLabel] != "true" {
		return nil, err
	}
	s := r.guard.cfg.Applying(ns, l)
	return &s, nil
}

// registry reaches registries with the credentials of k's Pods.
func (r *Reverifier) registry(k credentials) admit.Registry {
	var secrets []string
	if k.pullSecrets != "" {
		secrets = strings.Split(k.pullSecrets, "\x00")
	}
	kc := &podKeychain{cluster: r.guard.cluster, namespace: k.namespace, serviceAccount: k.serviceAccount, pullSecrets: secrets}
	client := oci.NewClient(append([]oci.Option{oci.WithKeychain(kc)}, r.guard.ociOpts...)...)
	return admit.Client(client)
}

// record appends the record of a decision this pass made (not one another group shared).
func (r *Reverifier) record(res admit.Result) {
	if r.records == nil || res.Decision == nil || res.Outcome != cache.Computed {
		return
	}
	if err := r.records.Append(record.Of(res.Decision, recordOrigin)); err != nil {
		r.log.Error("could not append a re-decision to the decision records", "image", res.Image, "err", err)
	}
}

// runningImages returns the distinct images p runs, each pinned to the digest its container
// status says is running when p names it by tag.
func runningImages(p *corev1.Pod) []string {
	running := map[string]string{} // container name → digest running
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for _, st := range list {
			if i := strings.LastIndex(st.ImageID, "@sha256:"); i >= 0 {
				running[st.Name] = st.ImageID[i+1:]
			}
		}
	}
	var out []string
	add := func(containerName, image string) {
		if image == "" {
			return
		}
		if d, ok := running[containerName]; ok && !pinned(image) {
			if ref, err := name.ParseReference(image); err == nil {
				image = ref.Context().Name() + "@" + d
			}
		}
		out = append(out, image)
	}
	for _, c := range p.Spec.InitContainers {
		add(c.Name, c.Image)
	}
	for _, c := range p.Spec.Containers {
		add(c.Name, c.Image)
	}
	for _, c := range p.Spec.EphemeralContainers {
		add(c.Name, c.Image)
	}
	return withoutRepeats(out)
}

// withoutRepeats returns images without repeats, in their first order.
func withoutRepeats(images []string) []string {
	seen := map[string]bool{}
	out := images[:0:0]
	for _, img := range images {
		if !seen[img] {
			seen[img] = true
			out = append(out, img)
		}
	}
	return out
}
