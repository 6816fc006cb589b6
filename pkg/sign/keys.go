package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PasswordEnv is where the password of an encrypted key is read from, as cosign does.
const PasswordEnv = "COSIGN_PASSWORD"

// ErrNoPassword is returned when a key is encrypted and PasswordEnv is unset.
var ErrNoPassword = errors.New(PasswordEnv + " is not set")

// Signer signs statements with one private key.
type Signer struct {
	sv   signature.SignerVerifier
	hint string
}

// LoadKey reads a private key file in the encrypted format `cosign
// generate-key-pair` writes, decrypting it with password.
func LoadKey(path string, password []byte) (*Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	s, err := ParseKey(pem, password)
	if err != nil {
		return nil, fmt.Errorf("loading key %s: %w", path, err)
	}
	return s, nil
}

// ParseKey decrypts a private key in cosign's encrypted PEM format.
func ParseKey(pem, password []byte) (*Signer, error) {
	sv, err := cosign.LoadPrivateKey(pem, password, nil)
	if err != nil {
		return nil, err
	}
	return NewSigner(sv)
}

// LoadKeyFromEnv is LoadKey with the password from PasswordEnv.
func LoadKeyFromEnv(path string) (*Signer, error) {
	pw, ok := os.LookupEnv(PasswordEnv)
	if !ok {
		return nil, fmt.Errorf("loading key %s: %w", path, ErrNoPassword)
	}
	return LoadKey(path, []byte(pw))
}

// NewSigner wraps a sigstore signer, such as a KMS key, as a Signer.
func NewSigner(sv signature.SignerVerifier) (*Signer, error) {
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	hint, err := KeyHint(pub)
	if err != nil {
		return nil, err
	}
	return &Signer{sv: sv, hint: hint}, nil
}

// PublicKey returns the key signatures by s verify with.
func (s *Signer) PublicKey() (crypto.PublicKey, error) { return s.sv.PublicKey() }

// KeyHint is how a bundle names the key that signed it, as cosign writes it:
// the base64 SHA-256 of the key's PKIX encoding. It selects a key; it proves nothing.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// KeyPair is a key pair in cosign's file format.
type KeyPair struct {
	PrivatePEM []byte // encrypted with the password given to GenerateKeyPair
	PublicPEM  []byte
}

// GenerateKeyPair makes an ECDSA P-256 key pair in the format `cosign
// generate-key-pair` writes, its private key encrypted with password.
func GenerateKeyPair(password []byte) (*KeyPair, error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, fmt.Errorf("generating key pair: %w", err)
	}
	return &KeyPair{PrivatePEM: kb.PrivateBytes, PublicPEM: kb.PublicBytes}, nil
}
