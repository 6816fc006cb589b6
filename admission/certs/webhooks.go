package certs

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// resync re-reads the watched Secret now and then, in case a watch event was missed.
const resync = 10 * time.Minute

// syncWebhooks sets every webhook's caBundle, in both kinds of configuration, to bundle.
// Updates carry the resourceVersion read, so a write based on a stale read is refused.
func (m *Manager) syncWebhooks(ctx context.Context, bundle []byte) error {
	for _, name := range m.o.Webhooks {
		vs := m.client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
		v, err := vs.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			changed := false
			for i := range v.Webhooks {
				changed = setBundle(&v.Webhooks[i].ClientConfig.CABundle, bundle) || changed
			}
			if changed {
				_, err = vs.Update(ctx, v, metav1.UpdateOptions{})
				m.logSync("Validating", name, err)
			}
		}
		if err = ignorable(err); err != nil {
			return fmt.Errorf("setting the caBundle of ValidatingWebhookConfiguration %s: %w", name, err)
		}
		ms := m.client.AdmissionregistrationV1().MutatingWebhookConfigurations()
		mw, err := ms.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			changed := false
			for i := range mw.Webhooks {
				changed = setBundle(&mw.Webhooks[i].ClientConfig.CABundle, bundle) || changed
			}
			if changed {
				_, err = ms.Update(ctx, mw, metav1.UpdateOptions{})
				m.logSync("Mutating", name, err)
			}
		}
		if err = ignorable(err); err != nil {
			return fmt.Errorf("setting the caBundle of MutatingWebhookConfiguration %s: %w", name, err)
		}
	}
	return nil
}

// trusted reports whether every installed webhook's caBundle holds ca.
func (m *Manager) trusted(ctx context.Context, ca *x509.Certificate) (bool, error) {
	var bundles [][]byte
	for _, name := range m.o.Webhooks {
		v, err := m.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			for _, w := range v.Webhooks {
				bundles = append(bundles, w.ClientConfig.CABundle)
			}
		} else if !apierrors.IsNotFound(err) {
			return false, err
		}
		mw, err := m.client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			for _, w := range mw.Webhooks {
				bundles = append(bundles, w.ClientConfig.CABundle)
			}
		} else if !apierrors.IsNotFound(err) {
			return false, err
		}
	}
	for _, b := range bundles {
		if !bundleHas(b, ca) {
			return false, nil
		}
	}
	return true, nil
}

func setBundle(dst *[]byte, bundle []byte) bool {
	if bytes.Equal(*dst, bundle) {
		return false
	}
	*dst = bundle
	return true
}

// ignorable drops what the next reconcile mends: a configuration not installed (the mutating
// one is optional) and a write that lost a race.
func ignorable(err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

func (m *Manager) logSync(kind, name string, err error) {
	if err == nil {
		m.o.Log.Info("set the webhook configuration's caBundle", "kind", kind+"WebhookConfiguration", "name", name)
	}
}

// watch serves each version of the Secret as soon as the API server announces it: no kubelet
// volume sync (up to a minute or more) stands between a rotation step and the replicas.
func (m *Manager) watch(ctx context.Context) {
	f := informers.NewSharedInformerFactoryWithOptions(m.client, resync, informers.WithNamespace(m.o.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", m.o.Secret).String()
		}))
	inf := f.Core().V1().Secrets().Informer()
	on := func(obj any) {
		if s, ok := obj.(*corev1.Secret); ok && s.Name == m.o.Secret {
			m.serve(s)
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: on, UpdateFunc: func(_, obj any) { on(obj) }})
	f.Start(ctx.Done())
}
