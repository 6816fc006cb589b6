package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func value(v string, ttl time.Duration) func(context.Context) (string, time.Duration, error) {
	return func(context.Context) (string, time.Duration, error) { return v, ttl, nil }
}

func TestDo(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// run does calls on a cache of size 2 and returns the outcome and value of the last one.
		run         func(c *Cache[string, string], clk *clock) (string, Outcome, error)
		wantValue   string
		wantOutcome Outcome
		wantErr     bool
	}{
		{"first call computes", func(c *Cache[string, string], _ *clock) (string, Outcome, error) {
			return c.Do(ctx, "a", value("1", time.Minute))
		}, "1", Computed, false},
		{"fresh answer is a hit", func(c *Cache[string, string], clk *clock) (string, Outcome, error) {
			c.Do(ctx, "a", value("1", time.Minute))
			clk.t = clk.t.Add(59 * time.Second)
			return c.Do(ctx, "a", value("2", time.Minute))
		}, "1", Hit, false},
		{"expired answer is computed again", func(c *Cache[string, string], clk *clock) (string, Outcome, error) {
			c.Do(ctx, "a", value("1", time.Minute))
			clk.t = clk.t.Add(time.Minute)
			return c.Do(ctx, "a", value("2", time.Minute))
		}, "2", Computed, false},
		{"each answer keeps its own ttl", func(c *Cache[string, string], clk *clock) (string, Outcome, error) {
			c.Do(ctx, "a", value("1", time.Second))
			clk.t = clk.t.Add(2 * time.Second)
			return c.Do(ctx, "a", value("2", time.Minute))
		}, "2", Computed, false},
		{"zero ttl is not kept", func(c *Cache[string, string], _ *clock) (string, Outcome, error) {
			c.Do(ctx, "a", value("1", 0))
			return c.Do(ctx, "a", value("2", time.Minute))
		}, "2", Computed, false},
		{"errors are not kept", func(c *Cache[string, string], _ *clock) (string, Outcome, error) {
			c.Do(ctx, "a", func(context.Context) (string, time.Duration, error) {
				return "", time.Minute, errors.New("registry down")
			})
			return c.Do(ctx, "a", value("2", time.Minute))
		}, "2", Computed, false},
		{"least recently used is evicted beyond size", func(c *Cache[string, string], _ *clock) (string, Outcome, error) {
			c.Do(ctx, "a", value("1", time.Minute))
			c.Do(ctx, "b", value("1", time.Minute))
			c.Do(ctx, "a", value("x", time.Minute)) // a is now more recent than b
			c.Do(ctx, "c", value("1", time.Minute))
			if _, o, _ := c.Do(ctx, "a", value("x", time.Minute)); o != Hit {
				t.Errorf("a: outcome %v, want hit", o)
			}
			return c.Do(ctx, "b", value("2", time.Minute))
		}, "2", Computed, false},
		{"a panic is an error", func(c *Cache[string, string], _ *clock) (string, Outcome, error) {
			return c.Do(ctx, "a", func(context.Context) (string, time.Duration, error) { panic("boom") })
		}, "", Computed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			c, err := New[string, string](2, clk.now)
			if err != nil {
				t.Fatal(err)
			}
			v, o, err := tt.run(c, clk)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if v != tt.wantValue || o != tt.wantOutcome {
				t.Errorf("got (%q, %v), want (%q, %v)", v, o, tt.wantValue, tt.wantOutcome)
			}
			if c.Len() > 2 {
				t.Errorf("Len() = %d, beyond the size 2", c.Len())
			}
		})
	}
}

func TestDoMergesConcurrentCalls(t *testing.T) {
	c, _ := New[string, int](10, nil)
	var runs atomic.Int64
	release := make(chan struct{})
	fn := func(context.Context) (int, time.Duration, error) {
		runs.Add(1)
		<-release
		return 42, time.Minute, nil
	}
	const callers = 1000
	var wg sync.WaitGroup
	outcomes := make([]Outcome, callers)
	for i := range callers {
		wg.Go(func() {
			v, o, err := c.Do(context.Background(), "digest", fn)
			if err != nil || v != 42 {
				t.Errorf("caller %d: (%d, %v)", i, v, err)
			}
			outcomes[i] = o
		})
	}
	for runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let every caller reach Do before the answer exists
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Errorf("fn ran %d times for %d concurrent callers, want 1", n, callers)
	}
	computed := 0
	for _, o := range outcomes {
		if o == Computed {
			computed++
		}
	}
	if computed != 1 {
		t.Errorf("%d callers computed, want 1", computed)
	}
}

func TestDoCallerGivingUpDoesNotCancelTheComputation(t *testing.T) {
	c, _ := New[string, string](10, nil)
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan error, 1)
	release := make(chan struct{})
	go func() {
		_, _, err := c.Do(ctx, "a", func(fctx context.Context) (string, time.Duration, error) {
			<-release
			finished <- fctx.Err()
			return "late", time.Minute, nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("impatient caller: err = %v, want context.Canceled", err)
		}
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	close(release)
	if err := <-finished; err != nil {
		t.Errorf("fn's context: %v, want not canceled", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if v, o, _ := c.Do(context.Background(), "a", value("again", time.Minute)); v != "late" || o != Hit {
		t.Errorf("next caller got (%q, %v), want the late answer as a hit", v, o)
	}
}

func TestNewRefusesZeroSize(t *testing.T) {
	if _, err := New[string, string](0, nil); err == nil {
		t.Error("New(0) succeeded; a cache that keeps nothing should be refused")
	}
}
