package freeze_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/freeze"
)

// TestReadStopsAtTheNewest: of a long history of freezes and unfreezes, Read reads the newest
// few and answers with the newest, whatever the length of the history: the requests stay
// those of one batch, not one per statement ever signed.
func TestReadStopsAtTheNewest(t *testing.T) {
	for _, registry := range []struct {
		name string
		new  func(testing.TB) *admittest.Fixture
	}{{"referrers API", admittest.New}, {"fallback tag", admittest.NewWithoutReferrersAPI}} {
		t.Run(registry.name, func(t *testing.T) { readStopsAtTheNewest(t, registry.new(t)) })
	}
}

func readStopsAtTheNewest(t *testing.T, f *admittest.Fixture) {
	f.WithFreeze(t)
	const history = 30
	start := time.Now().Add(-time.Hour)
	for i := range history {
		set(t, f, "sre", freeze.Change{Frozen: i%2 == 0, Reason: "release train"}, start.Add(time.Duration(i)*time.Minute))
	}
	f.Requests.Store(0)
	st := read(t, f, time.Now())
	last := start.Add((history - 1) * time.Minute)
	if st.Frozen || !st.Since.Equal(last) {
		t.Fatalf("after %d statements the newest is an unfreeze at %s; read %+v", history, last, st)
	}
	// The listing, and one batch of at most 8 statements (their bundles ride in their
	// manifests), and the anchor's HEAD.
	n := f.Requests.Load()
	t.Logf("%d registry requests", n)
	if n > 10 {
		t.Errorf("reading the freeze state of a history of %d statements took %d registry requests, want at most 10", history, n)
	}
}

// TestAFalseCreationTimeDoesNotDecide: a freeze statement signed long ago, stored again
// annotated as written in the future (so that it is read first), does not outrank the
// unfreeze signed after it: the annotation orders the reading, the signed time decides.
func TestAFalseCreationTimeDoesNotDecide(t *testing.T) {
	f := admittest.New(t)
	f.WithFreeze(t)
	now := time.Now()
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "incident 4211"}, now.Add(-2*time.Hour))
	set(t, f, "sre", freeze.Change{Frozen: false}, now.Add(-time.Hour))

	a, err := freeze.Anchor(f.Client, f.Config, prod)
	if err != nil {
		t.Fatal(err)
	}
	old := attestations.Freeze{Environment: prod, Frozen: true, Reason: "incident 4211", Since: now.Add(-3 * time.Hour).UTC()}
	st, err := attestations.Statement(a.Digest.Context().Name(), a.Digest.DigestStr(), attestations.FreezeType, old)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Signer("sre").Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Client.PushAt(context.Background(), a.Digest, b, attestations.FreezeType, now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := read(t, f, now)
	if got.Frozen {
		t.Fatalf("an old freeze annotated as written tomorrow outranked the newer unfreeze: %+v", got)
	}
}
