package admission

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/gatehq/gate/admission/certs"
	"k8s.io/client-go/kubernetes"
)

// SelfManagedCerts, when Secret is set, has the webhook keep its own TLS (package certs)
// instead of reading a certificate from files.
type SelfManagedCerts struct {
	Secret   string        // the Secret holding the CA and the serving pair, in the webhook's namespace
	Webhooks []string      // the webhook configurations whose caBundle is kept
	Hosts    []string      // the serving certificate's DNS names or IP addresses
	Overlap  time.Duration // each rotation step waits this long for the last to reach every reader
}

// servingCert returns what serves the webhook's certificate: the Secret, kept by this webhook
// and read through the API as it changes, or the files, reloaded when they change.
func servingCert(ctx context.Context, client kubernetes.Interface, o Options) (func(*tls.ClientHelloInfo) (*tls.Certificate, error), error) {
	if o.SelfManaged.Secret == "" {
		r, err := NewCertReloader(o.CertFile, o.KeyFile, o.Log)
		if err != nil {
			return nil, err
		}
		return r.GetCertificate, nil
	}
	m, err := certs.New(client, certs.Options{Namespace: o.Namespace, Secret: o.SelfManaged.Secret,
		Webhooks: o.SelfManaged.Webhooks, Hosts: o.SelfManaged.Hosts, Overlap: o.SelfManaged.Overlap, Log: o.Log})
	if err != nil {
		return nil, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, err
	}
	return m.GetCertificate, nil
}
