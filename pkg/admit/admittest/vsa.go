package admittest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/name"
)

// Roles WithFastPath adds, each with a key of its own and allowed to sign VSAs: the
// production fast path takes VSAs by Verifier, not by Auditor.
const (
	Verifier = "verifier"
	Auditor  = "auditor"
)

// VerifierID is the verifier.id of the VSAs the fixture signs.
const VerifierID = "https://ci.example/gate-verifier"

// WithFastPath adds the roles Verifier and Auditor to the trust config, gives production the
// fast path {roles: [verifier], maxAge: maxAge}, and reloads it into f.Config.
func (f *Fixture) WithFastPath(t testing.TB, maxAge time.Duration) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(f.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(raw)
	var roles string
	for _, role := range []string{Verifier, Auditor} {
		pub, s, err := newKey()
		if err != nil {
			t.Fatal(err)
		}
		f.signers[role] = s
		f.write(t, role+".pub", pub)
		roles += "  " + role + ": {keys: [" + role + ".pub], maySign: [vsa]}\n"
	}
	yaml = strings.Replace(yaml, "roles:\n", "roles:\n"+roles, 1)
	prod := "production: {policy: policies, data: production.json"
	if !strings.Contains(yaml, prod) {
		t.Fatal("the fixture's trust config has no production line to add a fast path to")
	}
	yaml = strings.Replace(yaml, prod, prod+", fastPath: {roles: ["+Verifier+"], maxAge: "+maxAge.String()+"}", 1)
	f.write(t, filepath.Base(f.ConfigPath), []byte(yaml))
	if f.Config, err = config.Load(context.Background(), f.ConfigPath); err != nil {
		t.Fatal(err)
	}
	return f.Config
}

// Decide verifies ref in env in full, as `gate verify` does before it signs a VSA.
func (f *Fixture) Decide(t testing.TB, env, ref string) *gate.Decision {
	t.Helper()
	dec, err := gate.Verify(context.Background(), f.Client, f.Config, env, ref, time.Now())
	if err != nil {
		t.Fatalf("verifying %s in %s: %v", ref, env, err)
	}
	return dec
}

// PushVSA signs dec as a VSA with s (a role's key, Signer(role), or any other) and pushes it as a
// referrer of d, which need not be what dec is about; it returns the referrer's digest.
func (f *Fixture) PushVSA(t testing.TB, s *sign.Signer, dec *gate.Decision, d name.Digest) string {
	t.Helper()
	out, err := gate.Summarize(context.Background(), f.Client, s, dec, VerifierID, false)
	if err != nil {
		t.Fatalf("signing the VSA: %v", err)
	}
	h, err := f.Client.Push(context.Background(), d, out.Bundle, attestations.VSAType)
	if err != nil {
		t.Fatalf("pushing the VSA: %v", err)
	}
	return h.String()
}

// NewSigner returns a key no role of the trust config holds.
func NewSigner(t testing.TB) *sign.Signer {
	t.Helper()
	_, s, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
