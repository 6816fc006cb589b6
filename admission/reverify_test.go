package admission_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/record"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// These tests run the Reverifier's loop on client-go's fake clientset, a mock: they reach what
// a real API server makes slow or awkward to arrange (a stopped registry, two replicas, Pods
// of exempt namespaces and finished Pods, a container status naming the digest running). The
// real test, on kube-apiserver with the chart's RBAC, is test/kube/reverify_test.go.

// reverifyConfig guards shop (production) and kube-system by label; other does not opt in.
const reverifyConfig = "namespaces: {shop: {environment: production}}\n"

// reverifying is a Reverifier on a fake clientset, with the metrics it sets.
type reverifying struct {
	r       *admission.Reverifier
	client  *fake.Clientset
	metrics *admission.Metrics
}

func newReverifying(t *testing.T, f *admittest.Fixture, client *fake.Clientset, opts ...admission.ReverifyOption) *reverifying {
	t.Helper()
	// Passes every 200 ms, and on each Trigger of the tests: decisions are kept 100 ms.
	return newReverifyingEvery(t, f, client, 200*time.Millisecond, opts...)
}

func newReverifyingEvery(t *testing.T, f *admittest.Fixture, client *fake.Clientset, interval time.Duration, opts ...admission.ReverifyOption) *reverifying {
	t.Helper()
	path := t.TempDir() + "/webhook.yaml"
	if err := writeFile(path, reverifyConfig); err != nil {
		t.Fatal(err)
	}
	cfg, err := workload.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	guarded := map[string]string{workload.DefaultNamespaceLabel: "true"}
	c := &cluster{labels: map[string]map[string]string{"shop": guarded, "kube-system": guarded, "gate-system": guarded, "other": {}}}
	m := admission.NewMetrics(nil)
	// The checker the Guard is given is admission's; the Reverifier makes its own.
	g := admission.NewGuard(cfg, nil, c, admission.WithOwnNamespace("gate-system"), admission.WithLogger(discard()),
		admission.WithMetrics(m), admission.WithRegistryOptions(oci.WithInsecure()))
	r, err := admission.NewReverifier(g, f.Config, client, interval, append(opts, admission.WithEventHost("gate-test"))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.Run(ctx)
	return &reverifying{r: r, client: client, metrics: m}
}

// gauge reads gate_running_image_blessed for namespace and image; ok is false without a series.
func (rv *reverifying) gauge(t *testing.T, namespace, image string) (v float64, ok bool) {
	t.Helper()
	return gaugeOf(t, rv.metrics, namespace, image)
}

func gaugeOf(t testing.TB, metrics *admission.Metrics, namespace, image string) (v float64, ok bool) {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != "gate_running_image_blessed" {
			continue
		}
		for _, m := range fam.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if got["namespace"] == namespace && got["image"] == image {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// waitGauge triggers passes until the gauge reads want.
func (rv *reverifying) waitGauge(t *testing.T, namespace, image string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rv.r.Trigger()
		if v, ok := rv.gauge(t, namespace, image); ok && v == want {
			return
		}
		if time.Now().After(deadline) {
			v, ok := rv.gauge(t, namespace, image)
			t.Fatalf("gate_running_image_blessed{namespace=%q,image=%q} reads %v (exported: %v), want %v", namespace, image, v, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (rv *reverifying) events(t *testing.T, namespace string) []corev1.Event {
	t.Helper()
	list, err := rv.client.CoreV1().Events(namespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func runningPod(ns, name, image string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "-" + name)},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func TestReverifyReportsWhatIsNotBlessedWhereGuarded(t *testing.T) {
	f := admittest.New(t)
	blessedTag, blessed := f.Image(t, "shop/web", "1.0")
	f.Bless(t, blessedTag)
	_, bare := f.Image(t, "shop/tool", "0.1")
	// By tag, with the digest running in its container status (as the kubelet reports it).
	byTag := runningPod("shop", "by-tag", blessedTag)
	byTag.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", ImageID: "docker-pullable://" + blessed.String()}}
	finished := runningPod("shop", "finished", bare.String())
	finished.Status.Phase = corev1.PodSucceeded
	client := fake.NewClientset(
		runningPod("shop", "web", blessed.String()), byTag, finished,
		runningPod("shop", "tool", bare.String()),
		runningPod("kube-system", "tool", bare.String()),
		runningPod("gate-system", "tool", bare.String()),
		runningPod("other", "tool", bare.String()))
	rv := newReverifying(t, f, client)

	rv.waitGauge(t, "shop", bare.String(), 0)
	rv.waitGauge(t, "shop", blessed.String(), 1)
	for _, ns := range []string{"kube-system", "gate-system", "other"} {
		if v, ok := rv.gauge(t, ns, bare.String()); ok {
			t.Errorf("namespace %s, never guarded or not opted in, is reported: %v", ns, v)
		}
	}
	if _, ok := rv.gauge(t, "shop", blessedTag); ok {
		t.Errorf("the Pod given by tag is reported by its tag, not by the digest its status says runs")
	}
	var warned []string
	for _, ev := range rv.events(t, "shop") {
		warned = append(warned, ev.InvolvedObject.Name)
		if ev.InvolvedObject.Name != "tool" || ev.Reason != admission.ReasonNotBlessed || ev.Type != corev1.EventTypeWarning {
			t.Errorf("unexpected Event %s %s on %s: %s", ev.Type, ev.Reason, ev.InvolvedObject.Name, ev.Message)
			continue
		}
		for _, want := range []string{bare.String(), "not blessed for production", "gate verify " + bare.String() + " --env production", "gate blessed", "does not evict"} {
			if !strings.Contains(ev.Message, want) {
				t.Errorf("the Event's message lacks %q: %s", want, ev.Message)
			}
		}
	}
	if len(warned) != 1 {
		t.Errorf("Events on %v, want one on shop/tool alone (the finished Pod is not running)", warned)
	}
	if _, err := client.CoreV1().Pods("shop").Get(context.Background(), "tool", metav1.GetOptions{}); err != nil {
		t.Errorf("the Pod whose image is not blessed is gone, but gate never evicts: %v", err)
	}
}

func TestReverifyReportsCouldNotDecideNeverBlessed(t *testing.T) {
	f := admittest.New(t)
	tag, d := f.Image(t, "shop/web", "1.0")
	f.Bless(t, tag)
	rv := newReverifying(t, f, fake.NewClientset(runningPod("shop", "web", d.String())))
	rv.waitGauge(t, "shop", d.String(), 1)
	f.Stop()
	rv.waitGauge(t, "shop", d.String(), -1)
	evs := rv.events(t, "shop")
	if len(evs) != 1 || evs[0].Reason != admission.ReasonCouldNotVerify || evs[0].Type != corev1.EventTypeWarning {
		t.Fatalf("want one Warning CouldNotVerify Event, got %+v", evs)
	}
	if !strings.Contains(evs[0].Message, "could not be verified") || !strings.Contains(evs[0].Message, "gate verify") {
		t.Errorf("the Event does not say what happened and what to do: %s", evs[0].Message)
	}
}

func TestReverifyWritesOneEventPerChangeAcrossPassesAndReplicas(t *testing.T) {
	f := admittest.New(t)
	_, bare := f.Image(t, "shop/tool", "0.1")
	client := fake.NewClientset(runningPod("shop", "tool", bare.String()))
	// Two replicas of the webhook re-verify the same cluster.
	a, b := newReverifying(t, f, client), newReverifying(t, f, client)
	for range 3 {
		a.waitGauge(t, "shop", bare.String(), 0)
		b.waitGauge(t, "shop", bare.String(), 0)
	}
	evs := a.events(t, "shop")
	if len(evs) != 1 || evs[0].Count != 1 {
		t.Fatalf("want one Event counted once for one change seen by two replicas over several passes, got %d: %+v", len(evs), evs)
	}
}

func TestReverifySeriesGoWithTheirLastPod(t *testing.T) {
	f := admittest.New(t)
	_, bare := f.Image(t, "shop/tool", "0.1")
	client := fake.NewClientset(runningPod("shop", "tool", bare.String()))
	rv := newReverifying(t, f, client)
	rv.waitGauge(t, "shop", bare.String(), 0)
	if err := client.CoreV1().Pods("shop").Delete(context.Background(), "tool", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rv.r.Trigger()
		if _, ok := rv.gauge(t, "shop", bare.String()); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the series of an image no Pod runs is still exported")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReverifyRecordsEachReDecision(t *testing.T) {
	f := admittest.New(t)
	_, bare := f.Image(t, "shop/tool", "0.1")
	path := t.TempDir() + "/records.jsonl"
	w, err := record.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rv := newReverifying(t, f, fake.NewClientset(runningPod("shop", "tool", bare.String())), admission.WithReverifyRecords(w))
	rv.waitGauge(t, "shop", bare.String(), 0)
	entries, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no decision record after a pass")
	}
	for _, e := range entries {
		if r := e.Record; r.Origin != "reverify" || r.Digest != bare.DigestStr() || r.Environment != admittest.Production || r.Allowed {
			t.Errorf("%s: record %+v, want origin reverify, digest %s, production, not allowed", e.Where(), e.Record, bare.DigestStr())
		}
	}
}

func TestTriggerMakesAPassWithoutWaitingForTheInterval(t *testing.T) {
	f := admittest.New(t)
	_, web := f.Image(t, "shop/web", "1.0")
	_, tool := f.Image(t, "shop/tool", "0.1")
	client := fake.NewClientset(runningPod("shop", "web", web.String()))
	rv := newReverifyingEvery(t, f, client, time.Hour)
	deadline := time.Now().Add(30 * time.Second)
	for _, ok := rv.gauge(t, "shop", web.String()); !ok; _, ok = rv.gauge(t, "shop", web.String()) { // the first pass, at start
		if time.Now().After(deadline) {
			t.Fatal("no first pass")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := client.CoreV1().Pods("shop").Create(context.Background(), runningPod("shop", "tool", tool.String()), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rv.waitGauge(t, "shop", tool.String(), 0) // triggers; the next tick is an hour away
}

func TestANilReverifierIgnoresTrigger(t *testing.T) {
	var r *admission.Reverifier // reverify.interval 0: off
	r.Trigger()
}

func TestReverifyIntervalConfig(t *testing.T) {
	for _, tc := range []struct {
		desc, yaml string
		want       time.Duration
		err        string
	}{
		{"the default", "", workload.DefaultReverifyInterval, ""},
		{"off", "reverify: {interval: 0s}\n", 0, ""},
		{"set", "reverify: {interval: 30s}\n", 30 * time.Second, ""},
		{"negative", "reverify: {interval: -1s}\n", 0, "reverify.interval -1s: must not be negative"},
		{"misspelled", "reverify: {intervall: 1m}\n", 0, "intervall"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := t.TempDir() + "/webhook.yaml"
			if err := writeFile(path, tc.yaml); err != nil {
				t.Fatal(err)
			}
			cfg, err := workload.LoadConfig(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := *cfg.Reverify.Interval; got != tc.want {
				t.Errorf("interval %s, want %s", got, tc.want)
			}
		})
	}
}
