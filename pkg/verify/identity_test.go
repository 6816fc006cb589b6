package verify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// Keyless signing, offline: sigstore-go's virtual Sigstore is a real CA, a
// real transparency log and a real timestamp authority, minted in-process.
func TestCertificateIdentities(t *testing.T) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := NewTrust(nil, []Identity{
		{Name: "qa-ci", Role: "qa", Issuer: "https://issuer.example", Subject: "qa@example.com"},
		{Name: "sre-any", Role: "sre", Issuer: "https://issuer.example", SubjectRegexp: `^.*@sre\.example\.com$`},
	}, vs, map[string][]string{"qa": {attestations.ApprovalType}, "sre": {attestations.ApprovalType}})
	if err != nil {
		t.Fatal(err)
	}
	envelope := makeStatement(t, digest, attestations.ApprovalType, map[string]any{"decision": "GO", "role": "qa"})
	for _, tc := range []struct {
		desc, subject, issuer string
		role                  string // "" means refused
	}{
		{"exact identity", "qa@example.com", "https://issuer.example", "qa"},
		{"identity by regular expression", "ana@sre.example.com", "https://issuer.example", "sre"},
		{"right subject, wrong issuer", "qa@example.com", "https://evil.example", ""},
		{"an identity no role holds", "mallory@example.com", "https://issuer.example", ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			entity, err := vs.Attest(tc.subject, tc.issuer, envelope)
			if err != nil {
				t.Fatal(err)
			}
			signer, at, err := trust.certSigner(entity, digest)
			if tc.role == "" {
				if !errors.Is(err, ErrUntrustedSigner) {
					t.Fatalf("got %+v, %v; want an untrusted-signer rejection", signer, err)
				}
				return
			}
			if err != nil || signer.Role != tc.role || signer.Identity != tc.issuer+"|"+tc.subject {
				t.Fatalf("got %+v, %v; want role %s", signer, err, tc.role)
			}
			// The time a log or timestamp authority vouches for is what max_age reads of a keyless bundle.
			if at.IsZero() || time.Since(at) > time.Hour {
				t.Errorf("signed at %v: want the verified timestamp of a signature made just now", at)
			}
		})
	}
	t.Run("a certificate from another CA", func(t *testing.T) {
		other, err := ca.NewVirtualSigstore()
		if err != nil {
			t.Fatal(err)
		}
		entity, err := other.Attest("qa@example.com", "https://issuer.example", envelope)
		if err != nil {
			t.Fatal(err)
		}
		signer, _, err := trust.certSigner(entity, digest)
		if !errors.Is(err, ErrUntrustedSigner) {
			t.Fatalf("got %+v, %v; want an untrusted-signer rejection", signer, err)
		}
		if strings.Contains(err.Error(), "%!") || !strings.Contains(err.Error(), "trustedRoot") {
			t.Errorf("the reason must read cleanly and say what to check: %q", err)
		}
	})
	t.Run("a trusted identity's statement about another digest", func(t *testing.T) {
		entity, err := vs.Attest("qa@example.com", "https://issuer.example", makeStatement(t, otherDigest, attestations.ApprovalType, map[string]any{"decision": "GO", "role": "qa"}))
		if err != nil {
			t.Fatal(err)
		}
		if signer, _, err := trust.certSigner(entity, digest); !errors.Is(err, ErrWrongSubject) {
			t.Fatalf("got %+v, %v; want a wrong-subject rejection", signer, err)
		}
	})
}
