package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
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

// PEM block types of cosign's encrypted private keys: cosign writes the
// first since v2 and reads both.
const (
	sigstorePrivateKeyType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	cosignPrivateKeyType   = "ENCRYPTED COSIGN PRIVATE KEY"
)

// ParseKey decrypts a private key in cosign's encrypted PEM format: a PKCS #8
// key sealed with go-securesystemslib's scrypt and secretbox, as cosign does.
// (cosign's own package for this drags in its CLI, registries and Rekor.)
func ParseKey(pemBytes, password []byte) (*Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM file")
	}
	if block.Type != sigstorePrivateKeyType && block.Type != cosignPrivateKeyType {
		return nil, fmt.Errorf("PEM block %q is not a cosign private key", block.Type)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("decrypting key (is %s right?): %w", PasswordEnv, err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %w", err)
	}
	sv, err := signature.LoadSignerVerifier(pk, crypto.SHA256)
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
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key pair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("encrypting key: %w", err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, err
	}
	return &KeyPair{PrivatePEM: pem.EncodeToMemory(&pem.Block{Type: sigstorePrivateKeyType, Bytes: sealed}), PublicPEM: pub}, nil
}
