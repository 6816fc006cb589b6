package kube

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
)

const (
	gateNamespace = "gate-system"
	guardLabel    = "gatehq.dev/guard"
	breakGlass    = "gatehq.dev/break-glass"
	// deadline is the webhook's, below the 5 s the chart gives the API server here.
	deadline = 3 * time.Second
)

// e2e is the state the steps of the end-to-end test share.
type e2e struct {
	c        *cluster
	f        *admittest.Fixture
	admin    *kubernetes.Clientset
	warnings *warningLog
	// images: blessed for production; blessed for staging only; with no evidence; blessed
	// and private (behind credentials once the registry asks for them).
	blessed, stagingOnly, bare, private string
	webhookAddr, probeAddr              string
	etcGate                             string // the chart's /etc/gate, laid out from what it rendered
	webhookCA                           *ca
	webhook                             *exec.Cmd
	webhookDone                         <-chan struct{}
	trustExtra                          string         // appended to the chart's trust config (freeze_test.go)
	configExtra                         map[string]any // set in the chart's config values (reverify_test.go)
}

func TestAdmissionWebhookOnARealAPIServer(t *testing.T) {
	requireE2E(t)
	start := time.Now()
	e := &e2e{c: startCluster(t), f: admittest.New(t), warnings: &warningLog{}}
	t.Logf("kube-apiserver and etcd ready in %s", time.Since(start).Round(time.Millisecond))
	e.admin = e.c.client(t, adminToken, e.warnings)
	e.blessed, _ = e.f.Image(t, "shop/web", "1.0")
	e.f.Bless(t, e.blessed)
	e.stagingOnly, _ = e.f.Image(t, "shop/api", "2.0")
	e.f.Evidence(t, e.stagingOnly, "module-lead")
	e.bare, _ = e.f.Image(t, "shop/tool", "0.1")
	e.private, _ = e.f.Image(t, "shop/private", "1.0")
	e.f.Bless(t, e.private)

	if !t.Run("the chart renders with the real helm and every object applies", e.installChart) {
		t.FailNow()
	}
	e.startWebhook(t) // on t, not a subtest: the webhook runs until the whole test ends
	e.namespaces(t)
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"a blessed Pod is admitted and stored with its digest", e.blessedPod},
		{"a blessed Deployment is admitted and its pod template pinned", e.blessedDeployment},
		{"a Pod whose image is not blessed is refused, naming the failing gate", e.refusedPod},
		{"an ephemeral container added to a stored Pod is checked", e.ephemeralContainer},
		{"a namespace without the opt-in label is not touched", e.notOptedIn},
		{"kube-system is not touched, even labelled", e.kubeSystem},
		{"warn mode admits and returns the reasons as warnings", e.warnMode},
		{"break-glass admits and leaves an Event naming who and why", e.breakGlass},
		{"break-glass is refused where the config does not allow it", e.breakGlassRefused},
		{"registry credentials come from imagePullSecrets and the service account", e.pullSecrets},
		{"a renewed TLS certificate is served without a restart", e.certRotation},
		{"metrics count the verdicts", e.metrics},
		{"a registry that does not answer is a refusal at the deadline", e.slowRegistry},
		{"a stopped registry is a refusal with that reason", e.stoppedRegistry},
		{"a stopped webhook is a refusal (failurePolicy Fail)", e.stoppedWebhook},
	} {
		t.Run(step.name, step.run)
	}
}

func (e *e2e) installChart(t *testing.T) {
	ctx := context.Background()
	e.webhookCA = newCA(t, "gate-webhook-ca")
	e.webhookAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e.probeAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if _, err := e.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: gateNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The serving certificate for 127.0.0.1, in the Secret the chart is told to use.
	certFile, keyFile := e.webhookCA.issue(t, t.TempDir(), "webhook", 10)
	crt, _ := os.ReadFile(certFile)
	key, _ := os.ReadFile(keyFile)
	if _, err := e.admin.CoreV1().Secrets(gateNamespace).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gate-e2e-tls"},
		Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	values := trustValues(t, e.f)
	values["trustConfig"] = values["trustConfig"].(string) + e.trustExtra
	for k, v := range e.configExtra {
		values["config"].(map[string]any)[k] = v
	}
	values["webhook"] = map[string]any{"url": "https://" + e.webhookAddr, "timeoutSeconds": 5}
	values["certificates"] = map[string]any{"mode": "secret",
		"secret": map[string]any{"name": "gate-e2e-tls", "caBundle": base64.StdEncoding.EncodeToString(e.webhookCA.certPEM)}}
	rendered := helmTemplate(t, gateNamespace, values)
	stored := e.c.apply(t, rendered)
	kinds := map[string]*unstructured.Unstructured{}
	for _, o := range stored {
		kinds[o.GetKind()] = o
	}
	for _, want := range []string{"Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "PodDisruptionBudget",
		"ConfigMap", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		if kinds[want] == nil {
			t.Errorf("the chart has no %s", want)
		}
	}
	if r, _, _ := unstructured.NestedInt64(kinds["Deployment"].Object, "spec", "replicas"); r != 2 {
		t.Errorf("Deployment has %d replicas, want 2", r)
	}
	for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		hooks, _, _ := unstructured.NestedSlice(kinds[kind].Object, "webhooks")
		for _, h := range hooks {
			if fp := h.(map[string]any)["failurePolicy"]; fp != "Fail" {
				t.Errorf("%s has failurePolicy %v, want Fail", kind, fp)
			}
		}
	}
	e.etcGate = e.layout(t, rendered)
}

// layout writes, into a directory, the files the Deployment's projected volume would mount at
// /etc/gate: from the ConfigMaps the chart rendered and the TLS Secret it names.
func (e *e2e) layout(t *testing.T, rendered []*unstructured.Unstructured) string {
	t.Helper()
	dir := filepath.Join(e.c.dir, "etc-gate") // the cluster's directory outlives this subtest's
	configMaps := map[string]map[string]any{}
	var deployment *unstructured.Unstructured
	for _, o := range rendered {
		switch o.GetKind() {
		case "ConfigMap":
			configMaps[o.GetName()], _, _ = unstructured.NestedMap(o.Object, "data")
		case "Deployment":
			deployment = o
		}
	}
	volumes, _, _ := unstructured.NestedSlice(deployment.Object, "spec", "template", "spec", "volumes")
	sources, _, _ := unstructured.NestedSlice(volumes[0].(map[string]any), "projected", "sources")
	for _, s := range sources {
		src := s.(map[string]any)
		var data map[string]string
		var items []any
		if cm, ok := src["configMap"].(map[string]any); ok {
			data = map[string]string{}
			for k, v := range configMaps[cm["name"].(string)] {
				data[k] = v.(string)
			}
			items = cm["items"].([]any)
		} else if sec, ok := src["secret"].(map[string]any); ok {
			secret, err := e.admin.CoreV1().Secrets(gateNamespace).Get(context.Background(), sec["name"].(string), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			data = map[string]string{}
			for k, v := range secret.Data {
				data[k] = string(v)
			}
			items = sec["items"].([]any)
		}
		for _, it := range items {
			item := it.(map[string]any)
			content, ok := data[item["key"].(string)]
			if !ok {
				t.Fatalf("the Deployment mounts key %v, which its source lacks", item["key"])
			}
			path := filepath.Join(dir, item["path"].(string))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, []byte(content))
		}
	}
	args, _, _ := unstructured.NestedSlice(deployment.Object, "spec", "template", "spec", "containers")
	argv, _, _ := unstructured.NestedStringSlice(args[0].(map[string]any), "args")
	if len(argv) == 0 {
		t.Fatal("the Deployment gives its container no args")
	}
	writeFile(t, filepath.Join(dir, "args"), []byte(strings.Join(argv, "\n")))
	return dir
}

// startWebhook runs gate (which runs gate-webhook beside it) with the Deployment's arguments, /etc/gate being the
// layout, as the chart's service account.
func (e *e2e) startWebhook(t *testing.T) {
	t.Helper()
	began := time.Now()
	defer func() {
		t.Logf("the webhook started from the chart's files in %s", time.Since(began).Round(time.Millisecond))
	}()
	bin := buildGate(t, e.c.dir)
	raw, _ := os.ReadFile(filepath.Join(e.etcGate, "args"))
	var args []string
	for _, a := range strings.Split(string(raw), "\n") {
		args = append(args, strings.ReplaceAll(a, "/etc/gate", e.etcGate))
	}
	args = append(args, "--addr="+e.webhookAddr, "--probe-addr="+e.probeAddr, "--namespace="+gateNamespace,
		"--instance=gate-e2e", "--kubeconfig="+e.c.kubeconfig(t, webhookToken))
	e.webhook, e.webhookDone = start(t, e.c.dir, "gate-webhook", bin, args...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + e.probeAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(e.c.dir, "gate-webhook.log"))
	t.Fatalf("the webhook is not ready after 30 s:\n%s", tail(string(log), 30))
}

func (e *e2e) namespaces(t *testing.T) {
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		"shop": {guardLabel: "true"}, "canary": {guardLabel: "true"}, "sandbox": {guardLabel: "true"}, "other": {"team": "shop"},
	} {
		if _, err := e.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ks, err := e.admin.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ks.Labels[guardLabel] = "true"
	if _, err := e.admin.CoreV1().Namespaces().Update(ctx, ks, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// webhookLog returns what the webhook has logged.
func (e *e2e) webhookLog() string {
	b, _ := os.ReadFile(filepath.Join(e.c.dir, "gate-webhook.log"))
	return string(b)
}
