package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

var podCount int

func newPod(image string, annotations map[string]string) *corev1.Pod {
	podCount++
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", podCount), Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

func (e *e2e) create(cs *kubernetes.Clientset, ns string, p *corev1.Pod) (*corev1.Pod, error) {
	return cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
}

// wantRefused checks err is the webhook's refusal and says what kubectl would print.
func wantRefused(t *testing.T, err error, substrings ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("admitted")
	}
	t.Logf("kubectl would print: Error from server: %v", err)
	for _, s := range substrings {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not contain %q", s)
		}
	}
}

func (e *e2e) digestOf(t *testing.T, tag string) string {
	t.Helper()
	d, err := e.f.Client.Resolve(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	return d.DigestStr()
}

func (e *e2e) blessedPod(t *testing.T) {
	p, err := e.create(e.admin, "shop", newPod(e.blessed, nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := e.blessed + "@" + e.digestOf(t, e.blessed); p.Spec.Containers[0].Image != want {
		t.Errorf("stored image %q, want %q", p.Spec.Containers[0].Image, want)
	}
}

func (e *e2e) blessedDeployment(t *testing.T) {
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr(int32(500)), Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: e.blessed}}}}}}
	stored, err := e.admin.AppsV1().Deployments("shop").Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.blessed + "@" + e.digestOf(t, e.blessed); stored.Spec.Template.Spec.Containers[0].Image != want {
		t.Errorf("stored template image %q, want %q", stored.Spec.Template.Spec.Containers[0].Image, want)
	}
	d.Name, d.Spec.Template.Spec.Containers[0].Image = "api", e.stagingOnly
	_, err = e.admin.AppsV1().Deployments("shop").Create(context.Background(), d, metav1.CreateOptions{})
	wantRefused(t, err, e.stagingOnly, "not blessed for production")
}

func (e *e2e) refusedPod(t *testing.T) {
	_, err := e.create(e.admin, "shop", newPod(e.stagingOnly, nil))
	wantRefused(t, err, `admission webhook "validate.gate.gatehq.dev" denied the request`, e.stagingOnly, "not blessed for production", "gate approval/qa failed")
}

func (e *e2e) ephemeralContainer(t *testing.T) {
	p, err := e.create(e.admin, "shop", newPod(e.blessed, nil))
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", Image: e.bare, TerminationMessagePolicy: corev1.TerminationMessageReadFile}}}
	_, err = e.admin.CoreV1().Pods("shop").UpdateEphemeralContainers(context.Background(), p.Name, p, metav1.UpdateOptions{})
	wantRefused(t, err, e.bare, "gate tests/unit failed")
}

func (e *e2e) notOptedIn(t *testing.T) {
	p, err := e.create(e.admin, "other", newPod(e.bare, nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.Containers[0].Image != e.bare {
		t.Errorf("image rewritten to %q in a namespace that did not opt in", p.Spec.Containers[0].Image)
	}
}

func (e *e2e) kubeSystem(t *testing.T) {
	p, err := e.create(e.admin, "kube-system", newPod(e.bare, nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.Containers[0].Image != e.bare {
		t.Errorf("image rewritten to %q in kube-system", p.Spec.Containers[0].Image)
	}
}

func (e *e2e) warnMode(t *testing.T) {
	e.warnings.take()
	if _, err := e.create(e.admin, "canary", newPod(e.stagingOnly, nil)); err != nil {
		t.Fatalf("refused in warn mode: %v", err)
	}
	got := strings.Join(e.warnings.take(), "\n")
	t.Logf("kubectl would print: Warning: %s", got)
	for _, s := range []string{"warn mode", e.stagingOnly, "not blessed for production"} {
		if !strings.Contains(got, s) {
			t.Errorf("warnings %q do not contain %q", got, s)
		}
	}
}

func (e *e2e) breakGlass(t *testing.T) {
	const why = "INC-4711: checkout is down; hotfix cannot wait for QA"
	aliceClient := e.c.client(t, aliceToken, &warningLog{})
	p, err := e.create(aliceClient, "shop", newPod(e.stagingOnly, map[string]string{breakGlass: why}))
	if err != nil {
		t.Fatalf("break-glass refused: %v", err)
	}
	events, err := e.admin.CoreV1().Events("shop").List(context.Background(), metav1.ListOptions{FieldSelector: "reason=BreakGlass"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Items) != 1 {
		t.Fatalf("%d BreakGlass events, want 1", len(events.Items))
	}
	ev := events.Items[0]
	t.Logf("Event %s: %s", ev.Reason, ev.Message)
	for _, s := range []string{alice, why, e.stagingOnly, p.Name} {
		if !strings.Contains(ev.Message, s) {
			t.Errorf("event message does not name %q", s)
		}
	}
	if ev.Type != corev1.EventTypeWarning || ev.InvolvedObject.Name != p.Name {
		t.Errorf("event %s about %s/%s, want a Warning about the pod", ev.Type, ev.InvolvedObject.Kind, ev.InvolvedObject.Name)
	}
	if log := e.webhookLog(); !strings.Contains(log, `"user":"`+alice+`"`) || !strings.Contains(log, why) {
		t.Errorf("the webhook's log has no break-glass line naming who and why:\n%s", tail(log, 5))
	}
}

func (e *e2e) breakGlassRefused(t *testing.T) {
	_, err := e.create(e.admin, "sandbox", newPod(e.bare, map[string]string{breakGlass: "just because"}))
	wantRefused(t, err, e.bare, "break-glass is not allowed in namespace sandbox")
}

func (e *e2e) pullSecrets(t *testing.T) {
	ctx := context.Background()
	e.f.RequireBasicAuth("puller", "s3cret")
	defer e.f.RequireBasicAuth("", "")
	auth := base64.StdEncoding.EncodeToString([]byte("puller:s3cret"))
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"` + e.f.Host + `":{"auth":"` + auth + `"}}}`)}}
	if _, err := e.admin.CoreV1().Secrets("shop").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}, ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}}
	if _, err := e.admin.CoreV1().ServiceAccounts("shop").Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Tags are resolved on every review (never cached), so each pod's own credentials are needed.
	withSecret := newPod(e.private, nil)
	withSecret.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	if _, err := e.create(e.admin, "shop", withSecret); err != nil {
		t.Errorf("pod with imagePullSecrets: %v", err)
	}
	withSA := newPod(e.private, nil)
	withSA.Spec.ServiceAccountName = "builder"
	if _, err := e.create(e.admin, "shop", withSA); err != nil {
		t.Errorf("pod whose service account has the pull secret: %v", err)
	}
	_, err := e.create(e.admin, "shop", newPod(e.private, nil))
	wantRefused(t, err, e.private, "registry authentication failed")
}

func (e *e2e) certRotation(t *testing.T) {
	serial := func() int64 {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(e.webhookCA.certPEM)
		conn, err := tls.Dial("tcp", e.webhookAddr, &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	before := serial()
	time.Sleep(1100 * time.Millisecond) // the webhook looks at its files once a second at most
	dir := filepath.Join(e.etcGate, "tls")
	certFile, keyFile := e.webhookCA.issue(t, t.TempDir(), "renewed", before+1)
	for from, to := range map[string]string{certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key")} {
		b, _ := os.ReadFile(from)
		writeFile(t, to+".new", b)
		if err := os.Rename(to+".new", to); err != nil {
			t.Fatal(err)
		}
	}
	if after := serial(); after != before+1 {
		t.Errorf("serves certificate %d after renewal, want %d", after, before+1)
	}
	if _, err := e.create(e.admin, "shop", newPod(e.blessed, nil)); err != nil {
		t.Errorf("the API server cannot reach the webhook after renewal: %v", err)
	}
}

func (e *e2e) metrics(t *testing.T) {
	resp, err := http.Get("http://" + e.probeAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, s := range []string{`gate_admission_reviews_total{verdict="denied",webhook="validate"}`, `gate_admission_reviews_total{verdict="break_glass",webhook="validate"}`,
		`gate_image_checks_total{cache="hit",result="blessed"}`, "gate_decision_cache_entries", "gate_admission_review_duration_seconds_bucket"} {
		if !strings.Contains(string(body), s) {
			t.Errorf("metrics lack %s", s)
		}
	}
}

func (e *e2e) slowRegistry(t *testing.T) {
	_, digest := e.f.Image(t, "shop/new", "1.0") // never verified: nothing cached
	e.f.Slow(time.Minute)
	defer e.f.Slow(0)
	start := time.Now()
	_, err := e.create(e.admin, "shop", newPod(digest.String(), nil))
	took := time.Since(start)
	wantRefused(t, err, digest.String(), "no answer from the registry before the deadline")
	t.Logf("refused after %s (deadline %s)", took.Round(time.Millisecond), deadline)
	if took > deadline+time.Second {
		t.Errorf("refused after %s, beyond the %s deadline", took, deadline)
	}
}

func (e *e2e) stoppedRegistry(t *testing.T) {
	e.f.Stop()
	start := time.Now()
	_, err := e.create(e.admin, "shop", newPod(e.blessed, nil))
	took := time.Since(start)
	// e.blessed is a tag: the mutating webhook, which pins tags first, is
	// the one that finds the registry gone, and a tag it cannot pin is refused.
	wantRefused(t, err, e.blessed, "could not be pinned", "connection refused")
	t.Logf("refused after %s", took.Round(time.Millisecond))
	if took > deadline {
		t.Errorf("refused after %s, beyond the %s deadline", took, deadline)
	}
}

func (e *e2e) stoppedWebhook(t *testing.T) {
	stop(e.webhook, e.webhookDone)
	_, err := e.create(e.admin, "shop", newPod(e.blessed, nil))
	wantRefused(t, err, "failed calling webhook")
	if _, err := e.create(e.admin, "other", newPod(e.bare, nil)); err != nil {
		t.Errorf("a namespace that did not opt in depends on the webhook: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
