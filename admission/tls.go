package admission

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckInterval is how often, at most, the certificate files are looked at: a stat per
// handshake would be cheap too, but handshakes come in bursts when the API server reconnects.
const certCheckInterval = time.Second

// CertReloader serves the certificate in a pair of PEM files, reloading it when either file
// changes (as a mounted Secret does when cert-manager renews it), without a restart. A pair
// that does not load (one file written, not yet the other) keeps the previous certificate.
type CertReloader struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' sizes and modification times when cert was loaded
	checked time.Time
}

// NewCertReloader loads the pair once, failing if it does not load.
func NewCertReloader(certFile, keyFile string, log *slog.Logger) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile, interval: certCheckInterval, log: log}
	stamp, err := r.stampNow()
	if err != nil {
		return nil, err
	}
	if err := r.load(stamp); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= r.interval {
		r.checked = now
		if stamp, err := r.stampNow(); err != nil {
			r.log.Warn("reading TLS certificate files; keeping the loaded certificate", "err", err)
		} else if stamp != r.stamp {
			if err := r.load(stamp); err != nil {
				r.log.Warn("reloading TLS certificate; keeping the loaded one", "err", err)
			} else {
				r.log.Info("reloaded TLS certificate", "cert", r.certFile)
			}
		}
	}
	return r.cert, nil
}

func (r *CertReloader) load(stamp string) error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("loading TLS certificate %s: %w", r.certFile, err)
	}
	r.cert, r.stamp = &c, stamp
	return nil
}

// stampNow follows symbolic links, as a mounted Secret's files are.
func (r *CertReloader) stampNow() (string, error) {
	var stamp string
	for _, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("reading TLS file: %w", err)
		}
		stamp += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}
