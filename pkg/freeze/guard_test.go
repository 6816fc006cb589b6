package freeze_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/gate"
)

// nextSecond waits until approvals, which are signed to the second, are dated after t.
func nextSecond(t time.Time) {
	time.Sleep(time.Until(t.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
}

func TestGuardAdmitsARollbackAndRefusesANewDigest(t *testing.T) {
	f := admittest.New(t)
	cfg := f.WithFreeze(t)
	ctx := context.Background()
	old, _ := f.Image(t, "shop/web", "1.0")
	f.Bless(t, old)
	frozenAt := time.Now()
	set(t, f, "sre", freeze.Change{Frozen: true, Reason: "incident 4211"}, frozenAt)
	nextSecond(frozenAt)
	fresh, _ := f.Image(t, "shop/web", "1.1")
	f.Bless(t, fresh) // every GO signed during the freeze
	unapproved, _ := f.Image(t, "shop/web", "0.9")
	f.Evidence(t, unapproved) // CI's evidence alone, no GO at all

	var ahead time.Duration // how far the guard's clock is ahead of the wall clock
	g, err := freeze.NewGuard(f.Client, cfg, freeze.DefaultStateTTL, func() time.Time { return time.Now().Add(ahead) })
	if err != nil {
		t.Fatal(err)
	}
	judge := func(ref string) (*gate.Decision, *gate.Decision) {
		t.Helper()
		d, err := gate.Verify(ctx, f.Client, cfg, admittest.Production, ref, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		j, err := g.Judge(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return d, j
	}

	d, j := judge(old)
	if !d.Allowed || !j.Allowed || j.Gates[0].Name != freeze.GateName || !j.Gates[0].Passed || !strings.Contains(j.Gates[0].Reason, "rollback") {
		t.Fatalf("the rollback to %s: allowed %v, gates %+v", old, j.Allowed, j.Gates)
	}
	d, j = judge(fresh)
	if !d.Allowed {
		t.Fatalf("the new digest is not blessed at all: %+v", d.Gates)
	}
	if j.Allowed || j.Gates[0].Passed {
		t.Fatalf("a digest blessed during the freeze was admitted: %+v", j.Gates)
	}
	for _, want := range []string{"production is frozen by sre since", `"incident 4211"`, "gate unfreeze --env production", "roll back"} {
		if !strings.Contains(j.Gates[0].Reason, want) {
			t.Errorf("reason %q does not say %q", j.Gates[0].Reason, want)
		}
	}
	if !d.Allowed || d.Gates[0].Name == freeze.GateName {
		t.Errorf("Judge modified the decision it was given (it may be cached)")
	}
	if _, j = judge(unapproved); j.Allowed {
		t.Errorf("a digest with no GO was admitted during the freeze")
	}

	set(t, f, "sre", freeze.Change{Frozen: false, Reason: "resolved"}, time.Now())
	if _, j = judge(fresh); j.Allowed {
		t.Errorf("the unfreeze was seen before the cached state's TTL of %s ran out", freeze.DefaultStateTTL)
	}
	ahead = freeze.DefaultStateTTL
	if _, j = judge(fresh); !j.Allowed || j.Gates[0].Name == freeze.GateName {
		t.Errorf("after the unfreeze and the TTL, the new digest: allowed %v, gates %+v", j.Allowed, j.Gates)
	}
}
