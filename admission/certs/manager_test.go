package certs

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// The fake clientset stands in for the API server only to step the rotation's logic with a
// clock the test moves; test/kube proves the rotation on a real API server under load.

const overlap = time.Minute

type rig struct {
	t      *testing.T
	client *fake.Clientset
	m      *Manager
	now    time.Time
}

func newRig(t *testing.T) *rig {
	client := fake.NewClientset(
		&admv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "gate"}, Webhooks: []admv1.ValidatingWebhook{{Name: "validate.gate.gatehq.dev"}}},
		&admv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "gate"}, Webhooks: []admv1.MutatingWebhook{{Name: "mutate.gate.gatehq.dev"}}},
	)
	m, err := New(client, Options{Namespace: "gate-system", Secret: "gate-tls", Webhooks: []string{"gate", "absent"},
		Hosts: []string{"gate.gate-system.svc", "127.0.0.1"}, Overlap: overlap})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, client: client, m: m, now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	m.now = func() time.Time { return r.now }
	return r
}

func (r *rig) reconcile() *state {
	r.t.Helper()
	if err := r.m.Reconcile(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	s, err := r.client.CoreV1().Secrets("gate-system").Get(context.Background(), "gate-tls", metav1.GetOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	st, err := read(s)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// trusts reports whether both webhook configurations' caBundle holds ca.
func (r *rig) trusts(ca *x509.Certificate) bool {
	v, _ := r.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "gate", metav1.GetOptions{})
	mw, _ := r.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(context.Background(), "gate", metav1.GetOptions{})
	return bundleHas(v.Webhooks[0].ClientConfig.CABundle, ca) && bundleHas(mw.Webhooks[0].ClientConfig.CABundle, ca)
}

func (r *rig) served() *x509.Certificate {
	c, err := r.m.GetCertificate(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return c.Leaf
}

func TestRotationAddsTheNewCABeforeServingItsCertificateAndDropsTheOldAfter(t *testing.T) {
	r := newRig(t)
	first := r.reconcile()
	if len(first.bundle) != 1 || !r.trusts(first.ca.cert) || !r.served().Equal(first.serving.cert) {
		t.Fatal("the first reconcile must create a CA, trust it in both configurations and serve its certificate")
	}
	if err := first.serving.cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if again := r.reconcile(); !again.serving.cert.Equal(first.serving.cert) {
		t.Fatal("a settled Secret changed")
	}

	s, _ := r.client.CoreV1().Secrets("gate-system").Get(context.Background(), "gate-tls", metav1.GetOptions{})
	s.Annotations[RotateAnnotation] = "now"
	r.client.CoreV1().Secrets("gate-system").Update(context.Background(), s, metav1.UpdateOptions{})
	r.now = r.now.Add(time.Second)

	added := r.reconcile()
	if len(added.bundle) != 2 || added.ca.cert.Equal(first.ca.cert) {
		t.Fatalf("step 1: the bundle must hold the new and the old CA, has %d", len(added.bundle))
	}
	if !r.trusts(added.ca.cert) || !r.trusts(first.ca.cert) {
		t.Fatal("step 1: both configurations must trust both CAs")
	}
	if !r.served().Equal(first.serving.cert) {
		t.Fatal("step 1: the old certificate must still be served")
	}
	r.now = r.now.Add(overlap / 2)
	if early := r.reconcile(); !early.serving.cert.Equal(first.serving.cert) {
		t.Fatal("the serving certificate switched before the overlap")
	}
	r.now = r.now.Add(overlap)
	switched := r.reconcile()
	if !signedBy(switched.serving.cert, added.ca.cert) || len(switched.bundle) != 2 || !r.served().Equal(switched.serving.cert) {
		t.Fatal("step 2: after the overlap, the certificate of the new CA must be served, both CAs still trusted")
	}
	r.now = r.now.Add(overlap / 2)
	if len(r.reconcile().bundle) != 2 {
		t.Fatal("the old CA left before the overlap")
	}
	r.now = r.now.Add(overlap)
	done := r.reconcile()
	if len(done.bundle) != 1 || !done.bundle[0].Equal(added.ca.cert) || r.trusts(first.ca.cert) || !r.trusts(added.ca.cert) {
		t.Fatal("step 3: only the new CA must remain, in the Secret and both configurations")
	}
}

func TestACANearItsEndIsRotatedWithoutBeingAsked(t *testing.T) {
	r := newRig(t)
	first := r.reconcile()
	r.now = first.ca.cert.NotAfter.Add(-renewBefore + time.Hour)
	if st := r.reconcile(); len(st.bundle) != 2 {
		t.Fatalf("a CA %s from its end was not rotated", renewBefore-time.Hour)
	}
}

func TestTheCertificateIsNotSwitchedWhileAConfigurationDoesNotTrustTheNewCA(t *testing.T) {
	r := newRig(t)
	r.reconcile()
	s, _ := r.client.CoreV1().Secrets("gate-system").Get(context.Background(), "gate-tls", metav1.GetOptions{})
	s.Annotations[RotateAnnotation] = "now"
	r.client.CoreV1().Secrets("gate-system").Update(context.Background(), s, metav1.UpdateOptions{})
	added := r.reconcile()
	// Someone (a helm upgrade with an old chart, say) puts the old CA alone back.
	v, _ := r.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "gate", metav1.GetOptions{})
	v.Webhooks[0].ClientConfig.CABundle = encodeBundle(added.bundle[1:])
	r.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(context.Background(), v, metav1.UpdateOptions{})
	r.now = r.now.Add(2 * overlap)
	s, _ = r.client.CoreV1().Secrets("gate-system").Get(context.Background(), "gate-tls", metav1.GetOptions{})
	if _, err := r.m.step(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	st, _ := read(s)
	if signedBy(st.serving.cert, added.ca.cert) {
		t.Fatal("switched to the new CA's certificate while a configuration did not trust it")
	}
}
