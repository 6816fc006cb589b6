package verify

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/gatehq/gate/attestations"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Signer is who an attestation's signature verified as.
type Signer struct {
	Role string `json:"role"`
	// Identity is stable and unique per signer: "sha256:<hex>" of a key's
	// PKIX encoding, or "<issuer>|<subject>" of a certificate identity.
	Identity string `json:"identity"`
	// Name is how the trust config names the key or identity, for people.
	Name string `json:"name"`
}

// Key is a public key trusted to sign for one role.
type Key struct {
	Name      string
	Role      string
	PublicKey crypto.PublicKey
}

// Identity is a certificate identity, checked against Trust's root, trusted
// to sign for one role. Issuer and Subject match exactly; the Regexp forms
// match by regular expression.
type Identity struct {
	Name                   string
	Role                   string
	Issuer, IssuerRegexp   string
	Subject, SubjectRegexp string
}

// Trust holds who may sign what. It is safe for concurrent use.
type Trust struct {
	keys       []*trustedKey
	byHint     map[string]*trustedKey
	identities []trustedIdentity
	certs      *sgverify.Verifier // nil when no certificate identities are trusted
	allowed    map[string]map[string]bool
	// multiSubject holds the predicate types whose statements may name more
	// than one subject; every other type must name exactly one.
	multiSubject map[string]bool
}

// TrustOption configures a Trust.
type TrustOption func(*Trust)

// DefaultMultiSubject is the predicate types that may name several subjects
// when the trust config says nothing: SLSA provenance names every artifact
// one build made. Evidence gate's own verbs write (tests, scans, coverage,
// approvals) is about one image, and a statement about [OTHER, V] must not
// count for V.
var DefaultMultiSubject = []string{attestations.ProvenanceType}

// WithMultiSubject sets the predicate types whose statements may name more
// than one subject, replacing DefaultMultiSubject.
func WithMultiSubject(types ...string) TrustOption {
	return func(t *Trust) {
		t.multiSubject = map[string]bool{}
		for _, pt := range types {
			t.multiSubject[pt] = true
		}
	}
}

type trustedKey struct {
	signer   Signer
	hint     string
	verifier signature.Verifier
}

type trustedIdentity struct {
	name, role string
	id         sgverify.CertificateIdentity
}

// NewTrust returns the trust that keys and identities, with the predicate
// types each role may sign (allowed), define. trustedRoot is needed only for
// identities; it is the Sigstore trusted root their certificates chain to.
func NewTrust(keys []Key, identities []Identity, trustedRoot root.TrustedMaterial, allowed map[string][]string, opts ...TrustOption) (*Trust, error) {
	t := &Trust{byHint: map[string]*trustedKey{}, allowed: map[string]map[string]bool{}}
	WithMultiSubject(DefaultMultiSubject...)(t)
	for _, o := range opts {
		o(t)
	}
	for role, types := range allowed {
		t.allowed[role] = map[string]bool{}
		for _, pt := range types {
			t.allowed[role][pt] = true
		}
	}
	for _, k := range keys {
		tk, err := newTrustedKey(k)
		if err != nil {
			return nil, err
		}
		if prev, dup := t.byHint[tk.hint]; dup {
			return nil, fmt.Errorf("key %s of role %s is the same key as %s of role %s: a key belongs to one role", k.Name, k.Role, prev.signer.Name, prev.signer.Role)
		}
		t.byHint[tk.hint] = tk
		t.keys = append(t.keys, tk)
	}
	if len(identities) > 0 {
		if trustedRoot == nil {
			return nil, fmt.Errorf("certificate identities need a trusted root")
		}
		// gate parses the statement itself, once its signature has verified:
		// sigstore-go need not build the predicate as a second tree.
		v, err := sgverify.NewVerifier(trustedRoot, sgverify.WithObserverTimestamps(1), sgverify.WithoutStatementPredicate())
		if err != nil {
			return nil, fmt.Errorf("using trusted root: %w", err)
		}
		t.certs = v
	}
	for _, id := range identities {
		ci, err := sgverify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.Subject, id.SubjectRegexp)
		if err != nil {
			return nil, fmt.Errorf("identity %s: %w", id.Name, err)
		}
		t.identities = append(t.identities, trustedIdentity{name: id.Name, role: id.Role, id: ci})
	}
	return t, nil
}

func newTrustedKey(k Key) (*trustedKey, error) {
	der, err := x509.MarshalPKIXPublicKey(k.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", k.Name, err)
	}
	sum := sha256.Sum256(der)
	v, err := signature.LoadVerifier(k.PublicKey, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", k.Name, err)
	}
	return &trustedKey{
		signer:   Signer{Role: k.Role, Identity: "sha256:" + hex.EncodeToString(sum[:]), Name: k.Name},
		hint:     base64.StdEncoding.EncodeToString(sum[:]),
		verifier: v,
	}, nil
}

// candidates returns every trusted key, the one hint names first. A hint
// only saves work: whichever key the signature verifies with is the signer.
func (t *Trust) candidates(hint string) []*trustedKey {
	k, ok := t.byHint[hint]
	if !ok {
		return t.keys
	}
	out := make([]*trustedKey, 0, len(t.keys))
	out = append(out, k)
	for _, o := range t.keys {
		if o != k {
			out = append(out, o)
		}
	}
	return out
}

// Allows reports whether role may sign predicateType.
func (t *Trust) Allows(role, predicateType string) bool { return t.allowed[role][predicateType] }

// Types returns, sorted, the predicate types some role may sign: the only
// types any evidence can have.
func (t *Trust) Types() []string {
	var out []string
	for _, types := range t.allowed {
		for pt := range types {
			if !slices.Contains(out, pt) {
				out = append(out, pt)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Roles returns the roles that may sign predicateType, sorted.
func (t *Trust) Roles(predicateType string) []string {
	var out []string
	for role, types := range t.allowed {
		if types[predicateType] {
			out = append(out, role)
		}
	}
	slices.Sort(out)
	return out
}
