package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/freeze"
)

// TestFreeze freezes production with sre's key on a real API server: a digest blessed during
// the freeze is refused, the digest blessed before it is admitted (the rollback), and once
// unfrozen the new digest is admitted, within the webhook's freeze state TTL.
func TestFreeze(t *testing.T) {
	requireE2E(t)
	ctx := context.Background()
	e := &e2e{c: startCluster(t), f: admittest.New(t), warnings: &warningLog{}}
	e.admin = e.c.client(t, adminToken, e.warnings)
	e.f.WithFreeze(t)
	e.trustExtra = e.f.FreezeConfig()
	previous, _ := e.f.Image(t, "shop/web", "1.0")
	e.f.Bless(t, previous)
	if !t.Run("the chart renders with a freeze section and applies", e.installChart) {
		t.FailNow()
	}
	e.startWebhook(t)
	e.namespaces(t)

	set := func(frozen bool, reason string) {
		t.Helper()
		change := freeze.Change{Environment: admittest.Production, Frozen: frozen, Reason: reason}
		if _, err := freeze.Set(ctx, e.f.Client, e.f.Signer("sre"), e.f.Config, change, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	frozenAt := time.Now()
	set(true, "incident 4211")
	// Approvals are signed to the second: make the new digest's GOs plainly later than the freeze.
	time.Sleep(time.Until(frozenAt.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	next, _ := e.f.Image(t, "shop/web", "1.1")
	e.f.Bless(t, next)

	t.Run("frozen: a digest blessed during the freeze is refused, saying by whom and what to do", func(t *testing.T) {
		_, err := e.create(e.admin, "shop", newPod(next, nil))
		wantRefused(t, err, "production is frozen by sre", "incident 4211", "gate unfreeze --env production", "roll back")
	})
	t.Run("frozen: the digest blessed before the freeze is admitted (rollback)", func(t *testing.T) {
		e.warnings.take()
		if _, err := e.create(e.admin, "shop", newPod(previous, nil)); err != nil {
			t.Fatalf("the rollback was refused: %v", err)
		}
		if w := strings.Join(e.warnings.take(), "\n"); !strings.Contains(w, "admitted as a rollback") || !strings.Contains(w, "incident 4211") {
			t.Errorf("the rollback was admitted without saying so; warnings: %q", w)
		}
	})
	t.Run("a role that may not freeze cannot unfreeze", func(t *testing.T) {
		change := freeze.Change{Environment: admittest.Production, Frozen: false, Reason: "let me ship"}
		if _, err := freeze.Set(ctx, e.f.Client, e.f.Signer("qa"), e.f.Config, change, time.Now()); err == nil {
			t.Fatal("qa's key stored an unfreeze")
		}
	})
	t.Run("unfrozen: the new digest is admitted within the freeze state TTL", func(t *testing.T) {
		set(false, "incident 4211 resolved")
		deadline := time.Now().Add(freeze.DefaultStateTTL + 5*time.Second)
		for {
			_, err := e.create(e.admin, "shop", newPod(next, nil))
			if err == nil {
				return
			}
			if !strings.Contains(err.Error(), "frozen") || time.Now().After(deadline) {
				t.Fatalf("still refused %s after the unfreeze: %v", time.Since(deadline.Add(-freeze.DefaultStateTTL-5*time.Second)).Round(time.Second), err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
}
