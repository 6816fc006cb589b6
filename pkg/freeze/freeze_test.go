package freeze_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/pkg/verify"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"
)

const prod = admittest.Production

// store signs and pushes a freeze statement as an attacker or a careless user would: without
// Set's check that the key may freeze.
func store(t *testing.T, f *admittest.Fixture, s *sign.Signer, p attestations.Freeze) {
	t.Helper()
	ctx := context.Background()
	a, err := freeze.Anchor(f.Client, f.Config, prod)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attestations.Statement(a.Digest.Context().Name(), a.Digest.DigestStr(), attestations.FreezeType, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Client.PutAnchor(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Client.Push(ctx, a.Digest, b, attestations.FreezeType); err != nil {
		t.Fatal(err)
	}
}

func stranger(t *testing.T) *sign.Signer {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(sv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func read(t *testing.T, f *admittest.Fixture, now time.Time) *freeze.State {
	t.Helper()
	st, err := freeze.Read(context.Background(), f.Client, f.Config, prod, now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func set(t *testing.T, f *admittest.Fixture, role string, c freeze.Change, now time.Time) {
	t.Helper()
	c.Environment = prod
	if _, err := freeze.Set(context.Background(), f.Client, f.Signer(role), f.Config, c, now); err != nil {
		t.Fatal(err)
	}
}

func TestFreezeAndUnfreeze(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	now := time.Now()
	if st := read(t, f, now); st.Frozen {
		t.Fatalf("frozen before any freeze: %+v", st)
	}
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "incident 4211"}, now)
	st := read(t, f, now.Add(time.Minute))
	if !st.Frozen || st.By.Role != "sre" || st.Reason != "incident 4211" || !st.Since.Equal(now) {
		t.Fatalf("after freeze: %+v", st)
	}
	if d := st.Describe(); !strings.Contains(d, "production is frozen by sre since") || !strings.Contains(d, `"incident 4211"`) {
		t.Errorf("Describe() = %q", d)
	}
	set(t, f, "sre", freeze.Change{Frozen: false, Reason: "resolved"}, now.Add(2*time.Minute))
	if st := read(t, f, now.Add(3*time.Minute)); st.Frozen {
		t.Fatalf("frozen after the unfreeze: %+v", st)
	}
	// The statements stay: the newest decides, not the order the registry lists them in.
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "again"}, now.Add(4*time.Minute))
	if st := read(t, f, now.Add(5*time.Minute)); !st.Frozen || st.Reason != "again" {
		t.Fatalf("after a second freeze: %+v", st)
	}
}

func TestForgedUnfreezeDoesNotUnfreeze(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	now := time.Now()
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "incident 4211"}, now)
	later := attestations.Freeze{Environment: prod, Frozen: false, Reason: "let me ship", Since: now.Add(time.Minute)}
	store(t, f, stranger(t), later)    // a key the trust config does not know
	store(t, f, f.Signer("qa"), later) // a trusted key whose role may not freeze
	other := later
	other.Environment = admittest.Staging // a statement about another environment
	store(t, f, f.Signer("sre"), other)
	st := read(t, f, now.Add(2*time.Minute))
	if !st.Frozen || st.Reason != "incident 4211" {
		t.Fatalf("a forged unfreeze unfroze: %+v", st)
	}
	if len(st.Ignored) != 3 {
		t.Fatalf("ignored %d statements, want 3: %+v", len(st.Ignored), st.Ignored)
	}
	reasons := st.Ignored[0].Reason + st.Ignored[1].Reason + st.Ignored[2].Reason
	for _, want := range []string{verify.ErrUntrustedSigner.Error(), verify.ErrRoleNotAllowed.Error(), `about environment "staging"`} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no statement ignored for %q: %s", want, reasons)
		}
	}
}

func TestSetRefusesARoleThatMayNotFreeze(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	_, err := freeze.Set(context.Background(), f.Client, f.Signer("qa"), f.Config, freeze.Change{Environment: prod, Frozen: true, Reason: "x"}, time.Now())
	if !errors.Is(err, verify.ErrRoleNotAllowed) {
		t.Fatalf("Set with qa's key: %v, want ErrRoleNotAllowed", err)
	}
	if st := read(t, f, time.Now()); st.Frozen || len(st.Ignored) != 0 {
		t.Fatalf("something was stored: %+v", st)
	}
}

func TestExpiredFreezeIsNotFrozen(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	now := time.Now()
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "release night", Until: now.Add(time.Hour)}, now)
	if st := read(t, f, now.Add(59*time.Minute)); !st.Frozen {
		t.Fatalf("not frozen before --until: %+v", st)
	}
	if st := read(t, f, now.Add(time.Hour)); st.Frozen || !st.Expired {
		t.Fatalf("at --until: %+v, want expired, not frozen", st)
	}
}

func TestFutureDatedStatementIsIgnored(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	now := time.Now()
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "incident"}, now)
	// Signed "for tomorrow", it would outrank every unfreeze until then.
	store(t, f, f.Signer("sre"), attestations.Freeze{Environment: prod, Frozen: false, Since: now.Add(24 * time.Hour)})
	if st := read(t, f, now.Add(time.Minute)); !st.Frozen || len(st.Ignored) != 1 || !strings.Contains(st.Ignored[0].Reason, "in the future") {
		t.Fatalf("%+v", st)
	}
}

func TestUnreadableFreezeIsAnError(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	f.Stop()
	if _, err := freeze.Read(context.Background(), f.Client, f.Config, prod, time.Now()); err == nil {
		t.Fatal("a stopped registry read as not frozen")
	}
}

// A referrer of the anchor that cannot be read (its bundle blob is missing) is one bad
// statement: it is ignored with its reason, and the freeze signed beside it still holds.
func TestUnusableStatementIsIgnoredAlone(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	now := time.Now()
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "incident 4211"}, now)
	a, err := freeze.Anchor(f.Client, f.Config, prod)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := remote.Head(a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	missing := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	junk, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": types.OCIManifestSchema1,
		"artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"config":       map[string]any{"mediaType": types.OCIEmptyJSON, "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
		"layers":       []any{map[string]any{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "digest": missing.String(), "size": 100}},
		"subject":      map[string]any{"mediaType": subject.MediaType, "digest": subject.Digest.String(), "size": subject.Size},
		"annotations":  map[string]string{"dev.sigstore.bundle.predicateType": attestations.FreezeType},
	})
	h, _, _ := v1.SHA256(bytes.NewReader(junk))
	if err := remote.Put(a.Digest.Context().Digest(h.String()), rawManifest{junk}); err != nil {
		t.Fatal(err)
	}
	st := read(t, f, now.Add(time.Minute))
	if !st.Frozen || st.Reason != "incident 4211" {
		t.Fatalf("a junk referrer changed the freeze: %+v", st)
	}
	if len(st.Ignored) != 1 || !strings.Contains(st.Ignored[0].Reason, missing.Hex[:12]) {
		t.Fatalf("want the junk referrer ignored with its reason, got %+v", st.Ignored)
	}
}

type rawManifest struct{ raw []byte }

func (m rawManifest) RawManifest() ([]byte, error) { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}
