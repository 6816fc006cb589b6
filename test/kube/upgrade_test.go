package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	// rotationOverlap is the chart's certificates.rotationOverlap here: short, so that a whole
	// rotation (two overlaps) happens within the test; the watch and the API servers' webhook
	// clients take milliseconds on loopback.
	rotationOverlap = 3 * time.Second
	// endpointDrain stands for the time between a Pod leaving the Service's endpoints and the
	// kubelet's SIGTERM (endpoint propagation, or a preStop hook).
	endpointDrain = time.Second
)

// load creates Pods in a guarded namespace back to back and counts the outcomes.
type load struct {
	ok, certFailures, otherFailures atomic.Int64
	mu                              sync.Mutex
	examples                        []string
}

// certReasons are what an admission refused for TLS or certificate reasons says.
var certReasons = []string{"x509", "tls:", "certificate"}

func (l *load) run(ctx context.Context, cs kubernetes.Interface, ns, image string) {
	for ctx.Err() == nil {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "load-"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}}
		_, err := cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
		switch {
		case err == nil:
			l.ok.Add(1)
			continue
		case containsAny(err.Error(), certReasons):
			l.certFailures.Add(1)
		default:
			l.otherFailures.Add(1)
		}
		l.mu.Lock()
		if len(l.examples) < 10 {
			l.examples = append(l.examples, time.Now().Format("15:04:05.000")+" "+err.Error())
		}
		l.mu.Unlock()
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestUpgradesAndRotationFailNoAdmission installs the chart with the real helm
// (certificates.mode self), runs its Deployment's replicas as a kubelet would (pod_test.go)
// behind a stand-in Service (service_test.go), and, while Pods are created in a guarded
// namespace without pause, runs three `helm upgrade`s (one rolling the Deployment) and one CA
// rotation. No admission may fail.
func TestUpgradesAndRotationFailNoAdmission(t *testing.T) {
	requireE2E(t)
	c := startCluster(t)
	f := admittest.New(t)
	image, _ := f.Image(t, "shop/web", "1.0")
	f.Bless(t, image)
	admin := c.client(t, adminToken, nil)
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{gateNamespace: nil, "shop": {guardLabel: "true"}} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	svc := newService(t)
	values := trustValues(t, f)
	values["webhook"] = map[string]any{"url": "https://" + svc.addr(), "timeoutSeconds": 5}
	values["certificates"] = map[string]any{"mode": "self", "rotationOverlap": rotationOverlap.String()}
	kubeconfig := c.kubeconfig(t, adminToken)
	helmApply := func(verb string, v map[string]any) {
		t.Helper()
		began := time.Now()
		if _, errOut, err := helm(t, v, verb, "gate", chartDir(), "--namespace", gateNamespace, "--kubeconfig", kubeconfig); err != nil {
			t.Fatalf("helm %s: %v\n%s", verb, err, errOut)
		}
		t.Logf("helm %s took %s", verb, time.Since(began).Round(time.Millisecond))
	}

	helmApply("install", values)
	pods := newPodRunner(t, c, gateNamespace, webhookToken)
	d := pods.deployment(t, "gate")
	var replicas []*replica
	for range *d.Spec.Replicas {
		r := pods.start(t, d)
		svc.add(r.addr)
		replicas = append(replicas, r)
	}
	firstCA := checkBundles(t, admin)
	waitAdmitted(t, admin, image)

	var l load
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 { // two clients, as a ReplicaSet controller and a CI job might
		wg.Go(func() { l.run(loadCtx, admin, "shop", image) })
	}

	// roll replaces every replica not running the stored pod template: a new one first, ready
	// and in the Service, then the old one out of the Service and stopped (maxSurge 1,
	// maxUnavailable 0, as the chart's strategy says).
	roll := func() int {
		d := pods.deployment(t, "gate")
		h, rolled := templateHash(t, d), 0
		for i, old := range replicas {
			if old.templateGeneration == h {
				continue
			}
			r := pods.start(t, d)
			svc.add(r.addr)
			svc.remove(old.addr)
			time.Sleep(endpointDrain)
			stopReplica(old)
			replicas[i] = r
			rolled++
		}
		return rolled
	}
	for _, u := range []struct {
		name  string
		over  map[string]any
		rolls bool
	}{
		{"the same values", nil, false},
		{"a changed webhook config (cache size), which rolls the Deployment", map[string]any{"config": map[string]any{"cache": map[string]any{"size": 2048}}}, true},
		{"a changed webhook timeout, which rewrites both webhook configurations", map[string]any{"webhook": map[string]any{"timeoutSeconds": 6}}, false},
	} {
		for k, v := range u.over { // each upgrade keeps the values of the last
			values[k] = merged(values[k].(map[string]any), v.(map[string]any))
		}
		before := l.ok.Load()
		helmApply("upgrade", values)
		time.Sleep(time.Second) // let admissions run against what helm wrote
		if rolled := roll(); (rolled > 0) != u.rolls {
			t.Errorf("upgrade with %s rolled %d replicas; want a roll: %v", u.name, rolled, u.rolls)
		}
		if ca := checkBundles(t, admin); !ca[0].Equal(firstCA[0]) {
			t.Errorf("upgrade with %s changed the CA", u.name)
		}
		t.Logf("after the upgrade with %s: %d admitted, %d failed", u.name, l.ok.Load(), l.certFailures.Load()+l.otherFailures.Load())
		if l.ok.Load() == before {
			t.Errorf("no Pod was admitted during the upgrade with %s", u.name)
		}
	}
	v, err := admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "gate", metav1.GetOptions{})
	if err != nil || *v.Webhooks[0].TimeoutSeconds != 6 {
		t.Errorf("the last upgrade did not reach the ValidatingWebhookConfiguration: %v", err)
	}

	before := l.ok.Load()
	rotate(t, admin, svc, replicas, firstCA[0])
	if l.ok.Load() == before {
		t.Error("no Pod was admitted during the rotation")
	}
	time.Sleep(2 * time.Second)
	stopLoad()
	wg.Wait()
	t.Logf("admissions during install, 3 upgrades (1 roll) and 1 CA rotation: %d admitted, %d failed for TLS or certificate reasons, %d failed otherwise",
		l.ok.Load(), l.certFailures.Load(), l.otherFailures.Load())
	if n := l.certFailures.Load() + l.otherFailures.Load(); n > 0 {
		t.Errorf("%d admissions failed (%d for TLS or certificate reasons); first ones:\n%s", n, l.certFailures.Load(), strings.Join(l.examples, "\n"))
	}
}

// waitAdmitted waits until the webhook admits a Pod: the replicas have set the caBundles.
func waitAdmitted(t *testing.T, cs kubernetes.Interface, image string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "first-"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}}
		if _, err = cs.CoreV1().Pods("shop").Create(context.Background(), p, metav1.CreateOptions{}); err == nil {
			return
		}
	}
	t.Fatalf("no Pod admitted 30 s after the install: %v", err)
}

// checkBundles checks that both webhook configurations' caBundle is the Secret's ca.crt, and
// returns its CAs.
func checkBundles(t *testing.T, cs kubernetes.Interface) []*x509.Certificate {
	t.Helper()
	ctx := context.Background()
	s, err := cs.CoreV1().Secrets(gateNamespace).Get(ctx, "gate-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the webhook's Secret: %v", err)
	}
	v, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "gate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "gate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := string(s.Data["ca.crt"]); string(v.Webhooks[0].ClientConfig.CABundle) != b || string(m.Webhooks[0].ClientConfig.CABundle) != b {
		t.Errorf("the webhook configurations' caBundle is not the Secret's ca.crt")
	}
	return parseCerts(t, s.Data["ca.crt"])
}

func parseCerts(t *testing.T, bundle []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for rest := bundle; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("an empty CA bundle")
	}
	return out
}

// rotate asks for a CA rotation as an operator would (annotating the Secret) and waits until
// every replica serves a certificate of the new CA and the bundle holds the new CA alone,
// having seen it hold both.
func rotate(t *testing.T, cs kubernetes.Interface, svc *service, replicas []*replica, old *x509.Certificate) {
	t.Helper()
	ctx := context.Background()
	began := time.Now()
	s, err := cs.CoreV1().Secrets(gateNamespace).Get(ctx, "gate-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Annotations["gatehq.dev/rotate-ca"] = "now"
	if _, err := cs.CoreV1().Secrets(gateNamespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	sawBoth := false
	for deadline := time.Now().Add(4*rotationOverlap + 30*time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s, err := cs.CoreV1().Secrets(gateNamespace).Get(ctx, "gate-tls", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cas := parseCerts(t, s.Data["ca.crt"])
		if len(cas) == 2 {
			sawBoth = true
		}
		if len(cas) != 1 || cas[0].Equal(old) || !inStep(t, cs, s.Data["ca.crt"]) {
			continue // the replicas set the caBundles right after the Secret
		}
		for _, r := range replicas {
			if leaf := served(t, r.addr); leaf.CheckSignatureFrom(cas[0]) != nil {
				t.Fatalf("replica %s serves a certificate of %q after the rotation", r.name, leaf.Issuer.CommonName)
			}
		}
		checkBundles(t, cs)
		if !sawBoth {
			t.Error("the bundle never held the old and the new CA together")
		}
		t.Logf("the CA rotation took %s (overlap %s)", time.Since(began).Round(time.Millisecond), rotationOverlap)
		return
	}
	t.Fatal("the CA rotation did not finish")
}

// inStep reports whether both webhook configurations' caBundle is bundle.
func inStep(t *testing.T, cs kubernetes.Interface, bundle []byte) bool {
	t.Helper()
	ctx := context.Background()
	v, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "gate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "gate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(v.Webhooks[0].ClientConfig.CABundle) == string(bundle) && string(m.Webhooks[0].ClientConfig.CABundle) == string(bundle)
}

// served returns the certificate a replica serves.
func served(t *testing.T, addr string) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // only reading which certificate is served
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}
