package admit_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
)

// A check whose caller gives up returns while its verification runs on (to serve the next
// caller): the two must share nothing the check rewrites. Run with -race, which saw the
// verification read the Result the returning check was writing.
func TestAVerificationOutlivesTheCheckThatStartedIt(t *testing.T) {
	f := admittest.New(t)
	tag, d := f.Image(t, "shop/web", "1.0")
	f.Bless(t, tag)
	c := newChecker(t, f)
	f.Slow(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	rs, err := c.Check(ctx, admit.Client(f.Client), "", []string{d.String()})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Allowed() || rs[0].Err == nil {
		t.Fatalf("a check past its caller's deadline was not refused with an error: %+v", rs[0])
	}
	f.Slow(0)
	// The verification goes on and serves the next caller.
	deadline := time.Now().Add(30 * time.Second)
	for {
		rs, err := c.Check(context.Background(), admit.Client(f.Client), "", []string{d.String()})
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].Allowed() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not blessed after the slow verification: %+v", rs[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
