package certs

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// state is what the Secret holds, parsed.
type state struct {
	bundle    []*x509.Certificate // trusted now, the newest first
	ca        *keyPair            // the newest CA, whose key is in the Secret
	serving   *keyPair
	steppedAt time.Time // zero when never stamped: the next step need not wait
}

func read(s *corev1.Secret) (*state, error) {
	bundle, err := parseBundle(s.Data[keyCABundle])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyCABundle, err)
	}
	b, _ := pem.Decode(s.Data[keyCAKey])
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM key", keyCAKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyCAKey, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", keyCAKey)
	}
	st := &state{bundle: bundle}
	for _, c := range bundle {
		if pub, ok := c.PublicKey.(*ecdsa.PublicKey); ok && pub.Equal(&key.PublicKey) {
			st.ca = &keyPair{cert: c, key: key}
			break
		}
	}
	if st.ca == nil {
		return nil, errors.New("the CA key matches no CA of the bundle")
	}
	if st.serving, err = parsePair(s.Data[keyCert], s.Data[keyKey]); err != nil {
		return nil, fmt.Errorf("serving pair: %w", err)
	}
	if !slices.ContainsFunc(bundle, func(c *x509.Certificate) bool { return signedBy(st.serving.cert, c) }) {
		return nil, errors.New("no CA of the bundle signed the serving certificate")
	}
	if at, ok := s.Annotations[steppedAnnotation]; ok {
		if st.steppedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("annotation %s: %w", steppedAnnotation, err)
		}
	}
	return st, nil
}

// covers reports whether the certificate names every host.
func (p *keyPair) covers(hosts []string) bool {
	for _, h := range hosts {
		if p.cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}
