package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
)

// reverifyInterval is short here so that the test waits seconds; the chart's default is 5m.
const reverifyInterval = 2 * time.Second

// reportedWithin is how long a change may take to be reported: one interval, and a
// verification on a machine busy with other builds. Generous: it catches "never", not "slow".
const reportedWithin = 3*reverifyInterval + 20*time.Second

// TestRunningPodsAreReverified runs the webhook from the chart with a 2 s re-verification
// interval on a real API server. A Pod stored in a guarded namespace while its image was
// blessed (no kubelet: the Pod is an object) is reported once a NOGO is signed after its
// admission, by the gauge, a Warning Event on the Pod and without being evicted; a new GO
// clears the report; a deleted Pod's series goes.
func TestRunningPodsAreReverified(t *testing.T) {
	requireE2E(t)
	ctx := context.Background()
	e := &e2e{c: startCluster(t), f: admittest.New(t), warnings: &warningLog{}}
	e.admin = e.c.client(t, adminToken, e.warnings)
	e.configExtra = map[string]any{"reverify": map[string]any{"interval": reverifyInterval.String()}}
	tag, digest := e.f.Image(t, "shop/web", "1.0")
	e.f.Bless(t, tag)
	bare, _ := e.f.Image(t, "shop/tool", "0.1") // no evidence, in a namespace that does not opt in
	if !t.Run("the chart renders with reverify.interval and applies", e.installChart) {
		t.FailNow()
	}
	e.startWebhook(t)
	e.namespaces(t)

	pod, err := e.create(e.admin, "shop", newPod(digest.String(), nil))
	if err != nil {
		t.Fatalf("the blessed Pod was refused: %v", err)
	}
	if _, err := e.create(e.admin, "other", newPod(bare, nil)); err != nil {
		t.Fatalf("a Pod of a namespace that does not opt in was refused: %v", err)
	}
	series := fmt.Sprintf(`gate_running_image_blessed{image=%q,namespace="shop"}`, digest.String())

	t.Run("a running blessed image reads 1, and no Pod of an unguarded namespace is reported", func(t *testing.T) {
		e.waitGauge(t, series, "1")
		if m := e.scrape(t); strings.Contains(m, `namespace="other"`) {
			t.Errorf("a Pod of namespace other, which does not opt in, is reported:\n%s", grepLines(m, "gate_running_image_blessed"))
		}
		if evs := e.podEvents(t, pod); len(evs) > 0 {
			t.Errorf("a Pod whose image is blessed got Events: %v", evs)
		}
	})
	t.Run("a NOGO signed after admission is reported within one interval: gauge 0, a Warning Event, no eviction", func(t *testing.T) {
		signed := time.Now()
		e.f.Approve(t, tag, "sre", attestations.DecisionNoGo)
		e.waitGauge(t, series, "0")
		t.Logf("reported %s after the NOGO was signed (interval %s)", time.Since(signed).Round(time.Millisecond), reverifyInterval)
		ev := e.waitEvent(t, pod, admission.ReasonNotBlessed)
		if ev.Type != corev1.EventTypeWarning {
			t.Errorf("the Event is of type %s, want Warning", ev.Type)
		}
		for _, want := range []string{digest.String(), "NOGO", "gate verify", "does not evict"} {
			if !strings.Contains(ev.Message, want) {
				t.Errorf("the Event's message lacks %q: %s", want, ev.Message)
			}
		}
		time.Sleep(2 * reverifyInterval) // more passes: still one Event, not one per pass
		if got := e.waitEvent(t, pod, admission.ReasonNotBlessed); got.Count != 1 {
			t.Errorf("the Warning Event was counted %d times over several passes, want once per change", got.Count)
		}
		if _, err := e.admin.CoreV1().Pods("shop").Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("the Pod is gone, but gate must never evict: %v", err)
		}
	})
	t.Run("a new GO clears it: gauge 1 and a Normal Event", func(t *testing.T) {
		// Approvals are signed to the second: the GO must be later than the NOGO it lifts.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
		e.f.Approve(t, tag, "sre", attestations.DecisionGo)
		e.waitGauge(t, series, "1")
		if ev := e.waitEvent(t, pod, admission.ReasonBlessed); ev.Type != corev1.EventTypeNormal {
			t.Errorf("the Event is of type %s, want Normal", ev.Type)
		}
	})
	t.Run("a deleted Pod's series goes", func(t *testing.T) {
		if err := e.admin.CoreV1().Pods("shop").Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(reportedWithin)
		for strings.Contains(e.scrape(t), series) {
			if time.Now().After(deadline) {
				t.Fatalf("%s is still exported %s after its only Pod was deleted", series, reportedWithin)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// scrape returns the webhook's metrics.
func (e *e2e) scrape(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + e.probeAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// waitGauge waits until the metrics read series value.
func (e *e2e) waitGauge(t *testing.T, series, value string) {
	t.Helper()
	deadline := time.Now().Add(reportedWithin)
	for {
		m := e.scrape(t)
		if strings.Contains(m, series+" "+value+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not read %s within %s; it reads:\n%s\nwebhook log:\n%s", series, value, reportedWithin,
				grepLines(m, "gate_running_image_blessed"), tail(e.webhookLog(), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// podEvents returns the Events about pod.
func (e *e2e) podEvents(t *testing.T, pod *corev1.Pod) []corev1.Event {
	t.Helper()
	list, err := e.admin.CoreV1().Events(pod.Namespace).List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod.Name).String()})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitEvent waits for an Event about pod with reason.
func (e *e2e) waitEvent(t *testing.T, pod *corev1.Pod, reason string) corev1.Event {
	t.Helper()
	deadline := time.Now().Add(reportedWithin)
	for {
		evs := e.podEvents(t, pod)
		for _, ev := range evs {
			if ev.Reason == reason {
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Event with reason %s on Pod %s/%s within %s; its Events: %v", reason, pod.Namespace, pod.Name, reportedWithin, evs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestTheChartGrantsReverifyWhatItNeeds: re-verification reads Pods and writes and patches
// their Events, and never deletes or evicts; turned off, the webhook may not read Pods.
func TestTheChartGrantsReverifyWhatItNeeds(t *testing.T) {
	for _, tc := range []struct {
		interval string
		wantPods bool
	}{{"", true}, {"30s", true}, {"0s", false}} {
		values := chartValues("self")
		if tc.interval != "" {
			values["config"] = map[string]any{"reverify": map[string]any{"interval": tc.interval}}
		}
		role := objects(t, values)["ClusterRole/gate"]
		if role == nil {
			t.Fatal("the chart has no ClusterRole gate")
		}
		rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
		verbs := map[string][]string{}
		for _, r := range rules {
			rule := r.(map[string]any)
			for _, res := range rule["resources"].([]any) {
				for _, v := range rule["verbs"].([]any) {
					verbs[res.(string)] = append(verbs[res.(string)], v.(string))
				}
			}
		}
		pods := strings.Join(verbs["pods"], ",")
		if tc.wantPods && pods != "get,list,watch" || !tc.wantPods && pods != "" {
			t.Errorf("interval %q: pods verbs %q", tc.interval, pods)
		}
		for _, res := range []string{"pods", "pods/eviction"} {
			for _, v := range verbs[res] {
				if v == "delete" || v == "create" || v == "deletecollection" {
					t.Errorf("interval %q: the webhook may %s %s, but it never evicts", tc.interval, v, res)
				}
			}
		}
		if ev := strings.Join(verbs["events"], ","); tc.wantPods && ev != "create,get,patch" || !tc.wantPods && ev != "create" {
			t.Errorf("interval %q: events verbs %q", tc.interval, ev)
		}
	}
}
