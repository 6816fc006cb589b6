package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Lifetimes, as Kyverno's: long enough that a renewal is rare, short enough that one happens
// while someone still remembers how. Renewal starts renewBefore the end, leaving weeks for a
// webhook that was down to come back and renew before anything expires.
const (
	caValidity   = 365 * 24 * time.Hour
	certValidity = 150 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
)

// DefaultOverlap is how long each step of a rotation waits for the previous one to reach every
// reader: the API servers' webhook clients (a watch, seconds) and every replica's copy of the
// Secret (a watch, seconds). Two minutes leaves a wide margin over both.
const DefaultOverlap = 2 * time.Minute

// minCheck bounds how often the Secret is reconciled, whatever the overlap.
const minCheck = time.Second

// Keys of the Secret, a kubernetes.io/tls Secret with the CA beside the pair.
const (
	keyCert     = corev1.TLSCertKey       // the serving certificate
	keyKey      = corev1.TLSPrivateKeyKey // its key
	keyCABundle = "ca.crt"                // every CA the API server must trust now, the newest first
	keyCAKey    = "ca.key"                // the newest CA's key, which signs the next serving certificate
)

// Annotations of the Secret.
const (
	// RotateAnnotation, set to anything on the Secret, starts a CA rotation now (after a
	// suspected leak, say): `kubectl annotate secret gate-tls gatehq.dev/rotate-ca=now`.
	RotateAnnotation = "gatehq.dev/rotate-ca"
	// steppedAnnotation is when the Secret last changed step; the next step waits the overlap.
	steppedAnnotation = "gatehq.dev/rotation-step-at"
)

// Options say which Secret and which webhook configurations a Manager keeps.
type Options struct {
	Namespace string   // the Secret's namespace: the webhook's own
	Secret    string   // the Secret's name
	Webhooks  []string // names of the Validating and Mutating webhook configurations whose caBundle is kept; a missing one is skipped
	Hosts     []string // the serving certificate's names: DNS names or IP addresses
	Overlap   time.Duration
	Log       *slog.Logger
}

// Manager keeps the Secret and the caBundles, and serves the Secret's certificate.
type Manager struct {
	client kubernetes.Interface
	o      Options
	now    func() time.Time
	cert   atomic.Pointer[tls.Certificate]
}

// New returns a Manager; Start runs it.
func New(client kubernetes.Interface, o Options) (*Manager, error) {
	if o.Namespace == "" || o.Secret == "" || len(o.Hosts) == 0 {
		return nil, errors.New("self-managed certificates need the namespace, the Secret's name and the certificate's hosts")
	}
	if o.Overlap <= 0 {
		o.Overlap = DefaultOverlap
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{client: client, o: o, now: time.Now}, nil
}

// Start reconciles once, so that a certificate is served from the start, then keeps
// reconciling and watching the Secret until ctx is done.
func (m *Manager) Start(ctx context.Context) error {
	for m.cert.Load() == nil { // a Reconcile that lost a race serves nothing: try again
		if err := m.Reconcile(ctx); err != nil {
			return err
		}
	}
	go m.watch(ctx)
	go func() {
		t := time.NewTicker(max(m.o.Overlap/4, minCheck))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := m.Reconcile(ctx); err != nil && ctx.Err() == nil {
					m.o.Log.Warn("reconciling the webhook's certificate; retrying", "err", err)
				}
			}
		}
	}()
	return nil
}

// GetCertificate is tls.Config.GetCertificate: the Secret's serving certificate as last read.
func (m *Manager) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := m.cert.Load()
	if c == nil {
		return nil, errors.New("no serving certificate read yet")
	}
	return c, nil
}

// Reconcile moves the Secret one step towards "a valid certificate, signed by the newest CA,
// that every API server trusts", then sets the caBundles to the Secret's. Replicas race
// through resourceVersion: the loser of an update is told Conflict and tries on its next tick.
func (m *Manager) Reconcile(ctx context.Context) error {
	secrets := m.client.CoreV1().Secrets(m.o.Namespace)
	s, err := secrets.Get(ctx, m.o.Secret, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s, err = m.create(ctx)
	}
	if err != nil {
		return fmt.Errorf("reading Secret %s/%s: %w", m.o.Namespace, m.o.Secret, err)
	}
	changed, err := m.step(ctx, s)
	if err != nil {
		return err
	}
	if changed {
		if s, err = secrets.Update(ctx, s, metav1.UpdateOptions{}); apierrors.IsConflict(err) {
			return nil // another replica moved first; the next tick reads its step
		} else if err != nil {
			return fmt.Errorf("updating Secret %s/%s: %w", m.o.Namespace, m.o.Secret, err)
		}
		m.o.Log.Info("webhook certificate: rotation step", "secret", m.o.Secret, "step", s.Annotations[steppedAnnotation])
	}
	m.serve(s)
	return m.syncWebhooks(ctx, s.Data[keyCABundle])
}

// create writes a new Secret; when another replica created one first, theirs is read.
func (m *Manager) create(ctx context.Context) (*corev1.Secret, error) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: m.o.Secret, Namespace: m.o.Namespace}, Type: corev1.SecretTypeTLS}
	if err := m.fresh(s); err != nil {
		return nil, err
	}
	created, err := m.client.CoreV1().Secrets(m.o.Namespace).Create(ctx, s, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return m.client.CoreV1().Secrets(m.o.Namespace).Get(ctx, m.o.Secret, metav1.GetOptions{})
	}
	if err == nil {
		m.o.Log.Info("webhook certificate: created CA and serving certificate", "secret", m.o.Secret)
	}
	return created, err
}

// fresh fills s with a new CA and a serving certificate it signed.
func (m *Manager) fresh(s *corev1.Secret) error {
	now := m.now()
	ca, err := newCA(m.caName(now), now, caValidity)
	if err != nil {
		return err
	}
	s.Data = map[string][]byte{keyCABundle: ca.certPEM()}
	if err := setPair(s, keyCAKey, "", ca); err != nil {
		return err
	}
	return m.reissue(s, ca, now)
}

// step changes s in memory by at most one step of a rotation, reporting whether it did:
//  1. a CA near its end, or a rotation asked for: a new CA joins the bundle (old CAs stay);
//  2. an overlap later, once the caBundles hold it: the serving certificate is reissued by it;
//  3. an overlap later: CAs other than the newest leave the bundle.
//
// A serving certificate near its end is reissued by the same CA, which changes no bundle.
func (m *Manager) step(ctx context.Context, s *corev1.Secret) (bool, error) {
	now := m.now()
	st, err := read(s)
	if err != nil {
		m.o.Log.Error("the webhook's certificate Secret does not parse; replacing it", "secret", m.o.Secret, "err", err)
		return true, m.fresh(s)
	}
	settled := now.Sub(st.steppedAt) >= m.o.Overlap
	rotating := len(st.bundle) > 1 || !signedBy(st.serving.cert, st.ca.cert)
	_, asked := s.Annotations[RotateAnnotation]
	switch {
	case !rotating && (asked || now.Add(renewBefore).After(st.ca.cert.NotAfter)):
		ca, err := newCA(m.caName(now), now, caValidity)
		if err != nil {
			return false, err
		}
		bundle := []*x509.Certificate{ca.cert}
		for _, c := range st.bundle {
			if now.Before(c.NotAfter) {
				bundle = append(bundle, c)
			}
		}
		s.Data[keyCABundle] = encodeBundle(bundle)
		delete(s.Annotations, RotateAnnotation)
		return true, m.setStep(s, keyCAKey, ca, now)
	case !signedBy(st.serving.cert, st.ca.cert):
		if !settled {
			return false, nil
		}
		if ok, err := m.trusted(ctx, st.ca.cert); err != nil || !ok {
			return false, err // the caBundles are set below; the next tick switches
		}
		return true, m.reissue(s, st.ca, now)
	case now.Add(renewBefore).After(st.serving.cert.NotAfter) || !st.serving.covers(m.o.Hosts):
		return true, m.reissue(s, st.ca, now)
	case len(st.bundle) > 1 && settled:
		s.Data[keyCABundle] = st.ca.certPEM()
		m.stamp(s, now)
		return true, nil
	}
	return false, nil
}

func (m *Manager) reissue(s *corev1.Secret, ca *keyPair, now time.Time) error {
	p, err := ca.issue(m.o.Hosts, now, certValidity)
	if err != nil {
		return err
	}
	return m.setStep(s, keyKey, p, now)
}

// setStep stores p (under keyCert or, for a CA, keyCAKey alone) and stamps the step.
func (m *Manager) setStep(s *corev1.Secret, keyName string, p *keyPair, now time.Time) error {
	certName := keyCert
	if keyName == keyCAKey {
		certName = ""
	}
	if err := setPair(s, keyName, certName, p); err != nil {
		return err
	}
	m.stamp(s, now)
	return nil
}

func (m *Manager) stamp(s *corev1.Secret, now time.Time) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[steppedAnnotation] = now.UTC().Format(time.RFC3339Nano)
}

func (m *Manager) caName(now time.Time) string {
	return fmt.Sprintf("%s.%s CA %s", m.o.Secret, m.o.Namespace, now.UTC().Format(time.RFC3339))
}

func setPair(s *corev1.Secret, keyName, certName string, p *keyPair) error {
	k, err := p.keyPEM()
	if err != nil {
		return err
	}
	s.Data[keyName] = k
	if certName != "" {
		s.Data[certName] = p.certPEM()
	}
	return nil
}

// serve starts serving s's pair when it parses; a Secret that does not keeps the last one.
func (m *Manager) serve(s *corev1.Secret) {
	c, err := tls.X509KeyPair(s.Data[keyCert], s.Data[keyKey])
	if err != nil {
		m.o.Log.Warn("the Secret's serving certificate does not load; keeping the last one", "err", err)
		return
	}
	if old := m.cert.Load(); old == nil || !old.Leaf.Equal(c.Leaf) {
		m.cert.Store(&c)
		m.o.Log.Info("serving webhook certificate", "serial", c.Leaf.SerialNumber.Text(16), "issuer", c.Leaf.Issuer.CommonName)
	}
}
