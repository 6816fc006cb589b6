package sign

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// cosign's own library is the reference for its key format, both ways.

func TestCosignReadsOurKeys(t *testing.T) {
	kp, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := cosign.LoadPrivateKey(kp.PrivatePEM, []byte("pw"), nil)
	if err != nil {
		t.Fatalf("cosign cannot load gate's key: %v", err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	want, err := cryptoutils.UnmarshalPEMToPublicKey(kp.PublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := cryptoutils.EqualKeys(pub, want); err != nil {
		t.Fatalf("the .pub is not the public half of the .key: %v", err)
	}
	if _, err := cosign.LoadPrivateKey(kp.PrivatePEM, []byte("wrong"), nil); err == nil {
		t.Fatal("cosign decrypted gate's key with the wrong password")
	}
}

func TestWeReadCosignKeys(t *testing.T) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte("pw"), nil })
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseKey(kb.PrivateBytes, []byte("pw"))
	if err != nil {
		t.Fatalf("gate cannot load cosign's key: %v", err)
	}
	if _, err := ParseKey(kb.PrivateBytes, []byte("wrong")); err == nil {
		t.Fatal("decrypted cosign's key with the wrong password")
	}
	// What s signs verifies with the .pub cosign wrote.
	statement := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	b, err := s.Sign(statement)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(BundleMediaType)) {
		t.Fatalf("bundle lacks its media type: %s", b)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(kb.PublicBytes)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.sv.SignMessage(bytes.NewReader(dsse.PAE(InTotoPayloadType, statement)))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(dsse.PAE(InTotoPayloadType, statement))); err != nil {
		t.Fatalf("signature does not verify with cosign's public key: %v", err)
	}
	hint, _ := KeyHint(pub)
	if s.hint != hint {
		t.Errorf("hint %q, want %q", s.hint, hint)
	}
}

func TestParseKeyRejectsWhatIsNotACosignKey(t *testing.T) {
	for _, tc := range []struct{ desc, pem string }{
		{"not PEM", "hello"},
		{"a public key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := ParseKey([]byte(tc.pem), nil); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
