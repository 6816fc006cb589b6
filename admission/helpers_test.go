package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/google/go-containerregistry/pkg/authn"
	kauth "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// cluster is a Cluster with fixed namespaces and pull secrets, recording break-glass records.
type cluster struct {
	labels  map[string]map[string]string
	secrets map[string]corev1.Secret // by namespace/name

	mu        sync.Mutex
	records   []admission.BreakGlassRecord
	keychains []string // namespace/serviceAccount of each keychain asked for
	failEvent error
}

func (c *cluster) NamespaceLabels(_ context.Context, name string) (map[string]string, error) {
	return c.labels[name], nil
}

// Keychain reads the named secrets with go-containerregistry's own Kubernetes keychain.
func (c *cluster) Keychain(ctx context.Context, ns, sa string, pullSecrets []string) (authn.Keychain, error) {
	c.mu.Lock()
	c.keychains = append(c.keychains, ns+"/"+sa)
	c.mu.Unlock()
	var found []corev1.Secret
	for _, s := range pullSecrets {
		if sec, ok := c.secrets[ns+"/"+s]; ok {
			found = append(found, sec)
		}
	}
	return kauth.NewFromPullSecrets(ctx, found)
}

func (c *cluster) RecordBreakGlass(_ context.Context, rec admission.BreakGlassRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failEvent != nil {
		return c.failEvent
	}
	c.records = append(c.records, rec)
	return nil
}

// webhook is a Guard served over TLS, as the API server reaches it.
type webhook struct {
	srv     *httptest.Server
	mux     http.Handler
	cluster *cluster
	checker *admit.Checker
}

func newWebhook(t testing.TB, f *admittest.Fixture, cfgYAML string, c *cluster, opts ...admission.GuardOption) *webhook {
	t.Helper()
	path := t.TempDir() + "/webhook.yaml"
	if err := writeFile(path, cfgYAML); err != nil {
		t.Fatal(err)
	}
	cfg, err := workload.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckAgainst(f.Config); err != nil {
		t.Fatal(err)
	}
	checker, err := admit.NewChecker(f.Config, admit.WithVerifyTimeout(cfg.Deadline))
	if err != nil {
		t.Fatal(err)
	}
	log := discard()
	g := admission.NewGuard(cfg, checker, c, append([]admission.GuardOption{admission.WithLogger(log), admission.WithOwnNamespace("gate-system")}, opts...)...)
	srv := httptest.NewTLSServer(g.Mux())
	t.Cleanup(srv.Close)
	return &webhook{srv: srv, mux: g.Mux(), cluster: c, checker: checker}
}

// review posts an AdmissionReview as JSON, as the API server does, and decodes the answer. A
// review for ValidatePath goes through MutatePath first, as the API server runs mutating
// webhooks before validating ones: the patch is applied, and the warnings of both are returned.
func (w *webhook) review(t *testing.T, path string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	t.Helper()
	if path != admission.ValidatePath {
		return w.send(t, path, req)
	}
	mutated := w.send(t, admission.MutatePath, req)
	if !mutated.Allowed {
		return mutated
	}
	if len(mutated.Patch) > 0 {
		p, err := jsonpatch.DecodePatch(mutated.Patch)
		if err != nil {
			t.Fatalf("decoding the patch: %v", err)
		}
		patched := *req
		if patched.Object.Raw, err = p.Apply(req.Object.Raw); err != nil {
			t.Fatalf("applying the patch %s: %v", mutated.Patch, err)
		}
		req = &patched
	}
	validated := w.send(t, path, req)
	validated.Warnings = append(mutated.Warnings, validated.Warnings...)
	return validated
}

// send posts one AdmissionReview to path.
func (w *webhook) send(t *testing.T, path string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	t.Helper()
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := w.srv.Client().Post(w.srv.URL+path+"?timeout=10s", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response == nil || out.Response.UID != req.UID {
		t.Fatalf("answer without the request's UID: %+v", out.Response)
	}
	return out.Response
}

var uids int

// request makes the AdmissionRequest the API server sends for op on obj in ns.
func request(t testing.TB, op admissionv1.Operation, ns string, obj, old runtime.Object) *admissionv1.AdmissionRequest {
	t.Helper()
	gvk := obj.GetObjectKind().GroupVersionKind()
	uids++
	req := &admissionv1.AdmissionRequest{
		UID:       types.UID("review-" + string(rune('a'+uids%26)) + "-" + gvk.Kind),
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Namespace: ns, Operation: op,
		UserInfo: authenticationUser("alice@example.com", "developers"),
		Object:   runtime.RawExtension{Raw: mustJSON(t, obj)},
	}
	if old != nil {
		req.OldObject = runtime.RawExtension{Raw: mustJSON(t, old)}
	}
	return req
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func podSpec(images ...string) corev1.PodSpec {
	s := corev1.PodSpec{}
	for i, img := range images {
		s.Containers = append(s.Containers, corev1.Container{Name: "c" + string(rune('0'+i)), Image: img})
	}
	return s
}

func pod(name string, spec corev1.PodSpec, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}, Spec: spec}
}

func template(spec corev1.PodSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: spec}
}

// workloads returns one object of every kind holding a pod template, each running spec.
func workloads(spec corev1.PodSpec) []runtime.Object {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	meta := metav1.ObjectMeta{Name: "web"}
	tm := func(group, kind string) metav1.TypeMeta {
		if group == "" {
			return metav1.TypeMeta{APIVersion: "v1", Kind: kind}
		}
		return metav1.TypeMeta{APIVersion: group + "/v1", Kind: kind}
	}
	return []runtime.Object{
		&appsv1.Deployment{TypeMeta: tm("apps", "Deployment"), ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Selector: sel, Template: template(spec)}},
		&appsv1.ReplicaSet{TypeMeta: tm("apps", "ReplicaSet"), ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: template(spec)}},
		&appsv1.StatefulSet{TypeMeta: tm("apps", "StatefulSet"), ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Selector: sel, Template: template(spec)}},
		&appsv1.DaemonSet{TypeMeta: tm("apps", "DaemonSet"), ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: template(spec)}},
		&batchv1.Job{TypeMeta: tm("batch", "Job"), ObjectMeta: meta, Spec: batchv1.JobSpec{Template: template(spec)}},
		&batchv1.CronJob{TypeMeta: tm("batch", "CronJob"), ObjectMeta: meta, Spec: batchv1.CronJobSpec{Schedule: "@hourly",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template(spec)}}}},
		&corev1.ReplicationController{TypeMeta: tm("", "ReplicationController"), ObjectMeta: meta, Spec: corev1.ReplicationControllerSpec{Template: ptr(template(spec))}},
	}
}

func ptr[T any](v T) *T { return &v }

func authenticationUser(name string, groups ...string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{Username: name, Groups: append(groups, "system:authenticated")}
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o600) }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
