package verify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/oci"
)

// BenchmarkJunkBundle checks a bundle-shaped junk attestation as large as
// gate reads (oci.MaxAttestationSize): a statement padded with a huge list
// of test names, signed by a key no role holds. Its signature is refused
// before the statement is parsed, so what it costs is reading the bundle
// and hashing its payload once per trusted key.
//
//	go test -run '^$' -bench BenchmarkJunkBundle -benchtime 10x ./pkg/verify/
func BenchmarkJunkBundle(b *testing.B) {
	_, ciPub := newSigner(&testing.T{})
	stranger, _ := newSigner(&testing.T{})
	trust, err := NewTrust([]Key{{Name: "ci", Role: "ci", PublicKey: ciPub}}, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 0, 1<<20)
	for len(names) < cap(names) {
		names = append(names, "TestX")
	}
	st, _ := json.Marshal(map[string]any{"_type": statementV1, "predicateType": "x", "predicate": map[string]any{"passedTests": names}, "subject": []any{}})
	raw, err := stranger.Sign(st)
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) > oci.MaxAttestationSize {
		b.Fatalf("junk of %d bytes is over the limit", len(raw))
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := trust.Bundle(raw, digest); err == nil || !strings.Contains(err.Error(), "no role holds") {
			b.Fatalf("want an untrusted signer, got %v", err)
		}
	}
}
