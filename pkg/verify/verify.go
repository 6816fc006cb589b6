package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// In-toto statement types gate reads: v1, and v0.1, which cosign still writes.
const (
	statementV1  = "https://in-toto.io/Statement/v1"
	statementV01 = "https://in-toto.io/Statement/v0.1"
)

// Evidence is a verified attestation: its signer checked out, its statement
// is about the digest asked for, and the signer's role may sign its type.
type Evidence struct {
	PredicateType string         `json:"predicateType"`
	Signer        Signer         `json:"signer"`
	Predicate     map[string]any `json:"predicate"`
}

type statement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string         `json:"predicateType"`
	Predicate     map[string]any `json:"predicate"`
}

// Bundle verifies a Sigstore bundle holding a DSSE-signed in-toto statement
// about digest ("sha256:<hex>"). An error says why it is not evidence.
func (t *Trust) Bundle(raw []byte, digest string) (*Evidence, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, fmt.Errorf("%w: bundle holds no DSSE envelope", ErrMalformed)
	}
	if env.GetPayloadType() != attestationsPayloadType {
		return nil, fmt.Errorf("%w: payload type %q is not in-toto", ErrMalformed, env.GetPayloadType())
	}
	// Parsed before the signature is checked, only so that a statement that
	// cannot be read is reported as such: nothing of it is used unless signed.
	st, err := parseStatement(env.GetPayload())
	if err != nil {
		return nil, err
	}
	signer, err := t.bundleSigner(&b)
	if err != nil {
		return nil, err
	}
	return t.check(st, digest, signer)
}

func (t *Trust) bundleSigner(b *bundle.Bundle) (Signer, error) {
	if cert := b.GetVerificationMaterial().GetCertificate(); cert != nil || b.GetVerificationMaterial().GetX509CertificateChain() != nil {
		return t.certSigner(b)
	}
	// A key-signed bundle carries no certificate, log entry or timestamp to
	// check: what is left is the DSSE signature, checked as for the legacy
	// layout, with the key the hint names tried first.
	env := b.GetDsseEnvelope()
	hint := b.GetVerificationMaterial().GetPublicKey().GetHint()
	pae := dsse.PAE(env.GetPayloadType(), env.GetPayload())
	for _, s := range env.GetSignatures() {
		if k := t.keyFor(hint, s.GetSig(), pae); k != nil {
			return k.signer, nil
		}
	}
	return Signer{}, fmt.Errorf("%w (key hint %q)", ErrUntrustedSigner, hint)
}

// keyFor returns the trusted key sig over pae verifies with, or nil.
func (t *Trust) keyFor(hint string, sig, pae []byte) *trustedKey {
	for _, k := range t.candidates(hint) {
		if k.verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(pae)) == nil {
			return k
		}
	}
	return nil
}

// certSigner verifies a certificate-signed entity against the trusted root
// and returns the trusted identity its certificate names.
func (t *Trust) certSigner(b sgverify.SignedEntity) (Signer, error) {
	if t.certs == nil {
		return Signer{}, fmt.Errorf("%w: signed with a certificate, and no certificate identity is trusted", ErrUntrustedSigner)
	}
	res, err := t.certs.Verify(b, sgverify.NewPolicy(sgverify.WithoutArtifactUnsafe(), sgverify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return Signer{}, fmt.Errorf("%w: %w", ErrUntrustedSigner, err)
	}
	cert := res.Signature.Certificate
	for _, id := range t.identities {
		if id.id.Verify(*cert) == nil {
			return Signer{Role: id.role, Identity: cert.Issuer + "|" + cert.SubjectAlternativeName, Name: id.name}, nil
		}
	}
	return Signer{}, fmt.Errorf("%w: certificate of %s issued by %s", ErrUntrustedSigner, cert.SubjectAlternativeName, cert.Issuer)
}

// Envelope verifies a bare DSSE envelope, as cosign's legacy layout stores
// it, holding an in-toto statement about digest. Only keys verify it: the
// legacy layout keeps certificates apart, and gate does not read them.
func (t *Trust) Envelope(raw []byte, digest string) (*Evidence, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if env.PayloadType != attestationsPayloadType {
		return nil, fmt.Errorf("%w: payload type %q is not in-toto", ErrMalformed, env.PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, err
	}
	pae := dsse.PAE(env.PayloadType, payload)
	for _, s := range env.Signatures {
		sig, err := decodeB64(s.Sig)
		if err != nil {
			continue
		}
		if k := t.keyFor(s.KeyID, sig, pae); k != nil {
			return t.check(st, digest, k.signer)
		}
	}
	return nil, ErrUntrustedSigner
}

func parseStatement(payload []byte) (*statement, error) {
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("%w: statement: %w", ErrMalformed, err)
	}
	if st.Type != statementV1 && st.Type != statementV01 {
		return nil, fmt.Errorf("%w: statement type %q", ErrMalformed, st.Type)
	}
	if st.PredicateType == "" || st.Predicate == nil {
		return nil, fmt.Errorf("%w: statement has no predicate", ErrMalformed)
	}
	return &st, nil
}

// check holds the rules common to every layout, applied to a statement
// whose signature has verified as signer.
func (t *Trust) check(st *statement, digest string, signer Signer) (*Evidence, error) {
	alg, want, _ := strings.Cut(digest, ":")
	about := false
	var others []string
	for _, s := range st.Subject {
		if s.Digest[alg] == want {
			about = true
			break
		}
		for a, h := range s.Digest {
			others = append(others, a+":"+h)
		}
	}
	if !about {
		return nil, fmt.Errorf("%w: subject %s, want %s", ErrWrongSubject, strings.Join(others, ", "), digest)
	}
	if !t.Allows(signer.Role, st.PredicateType) {
		return nil, fmt.Errorf("%w: %s (role %s) signed %s", ErrRoleNotAllowed, signer.Name, signer.Role, st.PredicateType)
	}
	if st.PredicateType == attestations.ApprovalType {
		if claimed, _ := st.Predicate["role"].(string); claimed != signer.Role {
			return nil, fmt.Errorf("%w: claims %q, signed by %s of role %s", ErrRoleClaim, claimed, signer.Name, signer.Role)
		}
	}
	return &Evidence{PredicateType: st.PredicateType, Signer: signer, Predicate: st.Predicate}, nil
}

const attestationsPayloadType = "application/vnd.in-toto+json"

func decodeB64(s string) ([]byte, error) {
	for _, enc := range []interface{ DecodeString(string) ([]byte, error) }{b64std, b64url} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("signature is not base64")
}

var (
	b64std = base64.StdEncoding
	b64url = base64.URLEncoding
)
