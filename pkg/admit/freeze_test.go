package admit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/gate"
)

type brokenFreeze struct{}

func (brokenFreeze) Judge(context.Context, *gate.Decision) (*gate.Decision, error) {
	return nil, errors.New("freeze repository unreachable")
}

func TestFrozenEnvironmentRefusesANewDigestEvenCached(t *testing.T) {
	f := admittest.New(t)
	cfg := f.WithFreeze(t)
	img, _ := f.Image(t, "shop/web", "2.0")
	f.Bless(t, img)
	g, err := freeze.NewGuard(f.Client, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newChecker(t, f, admit.WithFreeze(g))
	ctx := context.Background()
	check := func() admit.Result {
		rs, err := c.Check(ctx, admit.Client(f.Client), admittest.Production, []string{img})
		if err != nil {
			t.Fatal(err)
		}
		return rs[0]
	}
	if r := check(); !r.Allowed() {
		t.Fatalf("before the freeze: %s", r.Explain())
	}
	if _, err := freeze.Set(ctx, f.Client, f.Signer("sre"), cfg, freeze.Change{Environment: admittest.Production, Frozen: true, Reason: "incident 4211"}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The blessed decision is cached; the freeze must still overrule it.
	r := check()
	if r.Allowed() {
		t.Fatal("a digest first blessed after the freeze began was admitted")
	}
	if msg := r.Explain(); !strings.Contains(msg, "gate freeze failed: production is frozen by sre") {
		t.Errorf("Explain() = %q", msg)
	}
	c = newChecker(t, f, admit.WithFreeze(brokenFreeze{}))
	if r := check(); r.Allowed() || r.Err == nil {
		t.Fatalf("an unreadable freeze admitted: %+v", r)
	}
}

func TestRollbackDuringAFreezeSaysSo(t *testing.T) {
	f := admittest.New(t)
	cfg := f.WithFreeze(t)
	img, _ := f.Image(t, "shop/web", "1.0")
	f.Bless(t, img)
	ctx := context.Background()
	// Frozen a minute after every GO was signed: img is a rollback target.
	if _, err := freeze.Set(ctx, f.Client, f.Signer("sre"), cfg, freeze.Change{Environment: admittest.Production, Frozen: true, Reason: "incident 4211"}, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	g, err := freeze.NewGuard(f.Client, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := newChecker(t, f, admit.WithFreeze(g)).Check(ctx, admit.Client(f.Client), admittest.Production, []string{img})
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].Allowed() || !strings.Contains(rs[0].FreezeNote(), "admitted as a rollback") {
		t.Fatalf("allowed %v, note %q", rs[0].Allowed(), rs[0].FreezeNote())
	}
}
