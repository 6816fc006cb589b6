package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/internal/jsonstrict"
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
	// Raw is the predicate's JSON as signed, which Predicate was decoded
	// from: what rewrites it into another shape read, rather than
	// re-encoding the decoded map (a second pass, and float64 numbers).
	Raw json.RawMessage `json:"-"`
	// SignedAt is the earliest time a transparency log or timestamp
	// authority in the trusted root vouches the signature existed at; zero
	// for key-signed bundles and envelopes, which carry no such time.
	SignedAt time.Time `json:"signedAt,omitzero"`
}

type statement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Bundle verifies a Sigstore bundle holding a DSSE-signed in-toto statement
// about digest ("sha256:<hex>"). An error says why it is not evidence.
//
// The signature is checked over the payload's bytes before the statement
// is parsed: parsing a large statement costs far more than hashing it, and
// what nobody trusted signed is not worth reading.
func (t *Trust) Bundle(raw []byte, digest string) (*Evidence, error) {
	if !jsonObject(raw) {
		return nil, fmt.Errorf("%w: not a JSON object, so not a Sigstore bundle", ErrMalformed)
	}
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
	if err := oneSignature(len(env.GetSignatures())); err != nil {
		return nil, err
	}
	signer, at, err := t.bundleSigner(&b, digest)
	if err != nil {
		return nil, err
	}
	st, err := parseStatement(env.GetPayload())
	if err != nil {
		return nil, err
	}
	ev, err := t.check(st, digest, signer)
	if err != nil {
		return nil, err
	}
	ev.SignedAt = at
	return ev, nil
}

// oneSignature refuses an envelope with other than one signature, as
// sigstore-go and cosign do: with several, which one is "the" signer is a
// choice an attacker could make for the verifier.
func oneSignature(n int) error {
	if n != 1 {
		return fmt.Errorf("%w: envelope has %d signatures, and gate reads only envelopes with exactly one: re-sign it with one key", ErrMalformed, n)
	}
	return nil
}

// jsonObject says whether raw could be a JSON object, cheaply: junk is
// refused before any parser spends time on it.
func jsonObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}

func (t *Trust) bundleSigner(b *bundle.Bundle, digest string) (Signer, time.Time, error) {
	if cert := b.GetVerificationMaterial().GetCertificate(); cert != nil || b.GetVerificationMaterial().GetX509CertificateChain() != nil {
		return t.certSigner(b, digest)
	}
	// A key-signed bundle carries no certificate, log entry or timestamp to
	// check: what is left is the DSSE signature, checked as for the legacy
	// layout, with the key the hint names tried first.
	env := b.GetDsseEnvelope()
	hint := b.GetVerificationMaterial().GetPublicKey().GetHint()
	pae := dsse.PAE(env.GetPayloadType(), env.GetPayload())
	if k := t.keyFor(hint, env.GetSignatures()[0].GetSig(), pae); k != nil {
		return k.signer, time.Time{}, nil
	}
	return Signer{}, time.Time{}, untrustedKey(hint)
}

// untrustedKey is the rejection of a signature no trusted key verifies,
// saying what would make it count.
func untrustedKey(hint string) error {
	named := "no key hint"
	if hint != "" {
		named = fmt.Sprintf("key hint %q", hint)
	}
	return fmt.Errorf("%w: signed by a key no role holds (%s): if that signer is trusted, add its public key to roles.<role>.keys in gate.yaml", ErrUntrustedSigner, named)
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

// certSigner verifies a certificate-signed entity about digest against the
// trusted root, requiring its certificate to match one of the trusted
// identities, and returns the role of the identity sigstore-go matched.
// sigstore-go's safe policy checks the signature over the envelope before
// it reads the statement's subjects.
func (t *Trust) certSigner(b sgverify.SignedEntity, digest string) (Signer, time.Time, error) {
	if t.certs == nil || len(t.identities) == 0 {
		return Signer{}, time.Time{}, fmt.Errorf("%w: signed with a certificate, and no certificate identity is trusted: add one to roles.<role>.identities in gate.yaml", ErrUntrustedSigner)
	}
	alg, hexDigest, _ := strings.Cut(digest, ":")
	sum, err := hex.DecodeString(hexDigest)
	if err != nil {
		return Signer{}, time.Time{}, fmt.Errorf("%w: digest %q is not hex", ErrWrongSubject, digest)
	}
	opts := make([]sgverify.PolicyOption, len(t.identities))
	for i, id := range t.identities {
		opts[i] = sgverify.WithCertificateIdentity(id.id)
	}
	res, err := t.certs.Verify(b, sgverify.NewPolicy(sgverify.WithArtifactDigest(alg, sum), opts...))
	if err != nil {
		return Signer{}, time.Time{}, sigstoreRejection(err)
	}
	cert := res.Signature.Certificate
	for _, id := range t.identities {
		if res.VerifiedIdentity != nil && reflect.DeepEqual(*res.VerifiedIdentity, id.id) {
			return Signer{Role: id.role, Identity: cert.Issuer + "|" + cert.SubjectAlternativeName, Name: id.name}, earliest(res.VerifiedTimestamps), nil
		}
	}
	// sigstore-go returns a copy of the identity it matched; not finding it
	// among ours would be a bug, and is refused, never guessed at.
	return Signer{}, time.Time{}, fmt.Errorf("%w: certificate of %s issued by %s matched no identity gate knows", ErrUntrustedSigner, cert.SubjectAlternativeName, cert.Issuer)
}

// earliest is the earliest of the times sigstore-go verified: the one the
// signature is surely no younger than.
func earliest(ts []sgverify.TimestampVerificationResult) time.Time {
	var at time.Time
	for _, v := range ts {
		if at.IsZero() || v.Timestamp.Before(at) {
			at = v.Timestamp
		}
	}
	return at.UTC()
}

// sigstoreRejection says why sigstore-go refused an entity, and what to do.
// Some of its messages wrap a nil error ("error: %!w(<nil>)"); that noise is cut.
func sigstoreRejection(err error) error {
	msg := strings.ReplaceAll(err.Error(), "; error: %!w(<nil>)", "")
	var hint string
	switch {
	case strings.Contains(msg, "certificate identit"):
		hint = "if that signer is trusted, add its issuer and subject to roles.<role>.identities in gate.yaml"
	case strings.Contains(msg, "artifact digest"):
		return fmt.Errorf("%w: %s", ErrWrongSubject, msg)
	default:
		hint = "its certificate, log entry or timestamp does not check out against the trustedRoot in gate.yaml: check that file holds the CA, log and timestamp authority that signed it"
	}
	return fmt.Errorf("%w: %s: %s", ErrUntrustedSigner, msg, hint)
}

// Envelope verifies a bare DSSE envelope, as cosign's legacy layout stores
// it, holding an in-toto statement about digest. Only keys verify it: the
// legacy layout keeps certificates apart, and gate does not read them.
func (t *Trust) Envelope(raw []byte, digest string) (*Evidence, error) {
	if !jsonObject(raw) {
		return nil, fmt.Errorf("%w: not a JSON object, so not a DSSE envelope", ErrMalformed)
	}
	if err := strictKeys("envelope", raw); err != nil {
		return nil, err
	}
	var env dsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if env.PayloadType != attestationsPayloadType {
		return nil, fmt.Errorf("%w: payload type %q is not in-toto", ErrMalformed, env.PayloadType)
	}
	if err := oneSignature(len(env.Signatures)); err != nil {
		return nil, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	sig, err := decodeB64(env.Signatures[0].Sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	k := t.keyFor(env.Signatures[0].KeyID, sig, dsse.PAE(env.PayloadType, payload))
	if k == nil {
		return nil, untrustedKey(env.Signatures[0].KeyID)
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, err
	}
	return t.check(st, digest, k.signer)
}

// parseStatement reads a statement whose signature has verified. Its keys
// are checked first: encoding/json would match "PredicateType" to the
// predicateType field and keep the last of a repeated key, where cosign's
// and OPA's readers see another value; what gate reads must be what was
// signed as every reader sees it, so a statement readers could disagree on
// is refused, its predicate included, at any depth.
func parseStatement(payload []byte) (*statement, error) {
	if err := strictKeys("statement", payload); err != nil {
		return nil, err
	}
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("%w: statement: %w", ErrMalformed, err)
	}
	if st.Type != statementV1 && st.Type != statementV01 {
		return nil, fmt.Errorf("%w: statement type %q", ErrMalformed, st.Type)
	}
	if st.PredicateType == "" || len(st.Predicate) == 0 || !jsonObject(st.Predicate) {
		return nil, fmt.Errorf("%w: statement has no predicate object", ErrMalformed)
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
			continue
		}
		for a, h := range s.Digest {
			others = append(others, a+":"+h)
		}
	}
	if !about {
		return nil, fmt.Errorf("%w: subject %s, want %s", ErrWrongSubject, strings.Join(others, ", "), digest)
	}
	if len(st.Subject) != 1 && !t.multiSubject[st.PredicateType] {
		return nil, fmt.Errorf("%w: %d subjects (%s besides this image); a %s statement must name exactly one, unless gate.yaml lists its type under multiSubject",
			ErrSubjects, len(st.Subject), strings.Join(others, ", "), st.PredicateType)
	}
	if !t.Allows(signer.Role, st.PredicateType) {
		return nil, fmt.Errorf("%w: %s (role %s) signed %s: if it should, add the type to roles.%s.maySign in gate.yaml", ErrRoleNotAllowed, signer.Name, signer.Role, st.PredicateType, signer.Role)
	}
	predicate, err := attestations.Decode(st.PredicateType, st.Predicate)
	if errors.Is(err, attestations.ErrInvalidPredicate) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: predicate: %w", ErrMalformed, err)
	}
	if st.PredicateType == attestations.ApprovalType {
		if claimed, _ := predicate["role"].(string); claimed != signer.Role {
			return nil, fmt.Errorf("%w: claims %q, signed by %s of role %s", ErrRoleClaim, claimed, signer.Name, signer.Role)
		}
	}
	return &Evidence{PredicateType: st.PredicateType, Signer: signer, Predicate: predicate, Raw: st.Predicate}, nil
}

// strictKeys refuses JSON holding a key twice, exactly or differing in
// case only, naming the key (jsonstrict.CheckKeys).
func strictKeys(what string, raw []byte) error {
	if err := jsonstrict.CheckKeys(raw, jsonstrict.MaxDepth); err != nil {
		return fmt.Errorf("%w: %s: %w: readers disagree on which counts, so gate reads neither; re-sign it without the key that does not belong", ErrMalformed, what, err)
	}
	return nil
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
