package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// emptyTrustedRoot is enough for cosign v2.6 to verify a bundle against a key offline.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}`

// cosignCLI is one installed cosign CLI.
type cosignCLI struct {
	name string
	bin  string
	v3   bool
}

func cosignV2(t *testing.T) cosignCLI { return cosignCLI{"cosign v2.6.5", tool(t, envCosignV2), false} }
func cosignV3(t *testing.T) cosignCLI { return cosignCLI{"cosign v3.1.3", tool(t, envCosignV3), true} }

// cosignKey makes a key pair with `cosign generate-key-pair`.
func (w *world) cosignKey(c cosignCLI, name string) (key, pub string) {
	w.t.Helper()
	prefix := w.path("keys/" + name)
	w.write("keys/.keep", nil)
	w.must(c.bin, "generate-key-pair", "--output-key-prefix", prefix)
	return prefix + ".key", prefix + ".pub"
}

// cosignAttest has cosign sign predicateFile, of predicateType, about image, offline: v2 in its
// default legacy .att layout, v3 as a bundle referrer (v3 refuses --tlog-upload=false alone;
// an empty signing config is how it signs with a key and no transparency log).
func (w *world) cosignAttest(c cosignCLI, key, predicateType, predicateFile, image string) result {
	w.t.Helper()
	args := []string{"attest", "--key", key, "--type", predicateType, "--predicate", predicateFile, "--yes"}
	if c.v3 {
		sc := w.path("empty-signing-config.json")
		if r := w.run(c.bin, "signing-config", "create", "--out", sc); r.code != 0 {
			w.t.Fatalf("making cosign v3's empty signing config:\n%s", r)
		}
		args = append(args, "--signing-config", sc)
	} else {
		args = append(args, "--tlog-upload=false")
	}
	return w.run(c.bin, append(args, image)...)
}

// cosignVerify runs `cosign verify-attestation` offline with a key: v3 as is, v2 reading
// bundles (--new-bundle-format, with an empty trusted root).
func (w *world) cosignVerify(c cosignCLI, pub, predicateType, image string) result {
	w.t.Helper()
	args := []string{"verify-attestation", "--key", pub, "--type", predicateType, "--insecure-ignore-tlog"}
	if !c.v3 {
		args = append(args, "--new-bundle-format", "--trusted-root", w.write("empty-trusted-root.json", []byte(emptyTrustedRoot)))
	}
	return w.run(c.bin, append(args, image)...)
}

// statement is an in-toto statement as cosign prints it, base64 in a DSSE envelope per line.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
}

// verifiedStatements reads what `cosign verify-attestation` printed: one envelope a line.
func verifiedStatements(t *testing.T, r result) []statement {
	t.Helper()
	var out []statement
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			continue
		}
		var env struct {
			Payload string `json:"payload"`
		}
		if err := json.Unmarshal([]byte(line), &env); err != nil {
			t.Fatalf("reading cosign's output line %q: %v", line, err)
		}
		raw, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatalf("decoding cosign's payload: %v", err)
		}
		var st statement
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("reading the statement cosign verified: %v", err)
		}
		out = append(out, st)
	}
	return out
}
