package admit_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/cache"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/record"
)

func newChecker(t *testing.T, f *admittest.Fixture, opts ...admit.Option) *admit.Checker {
	t.Helper()
	c, err := admit.NewChecker(f.Config, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheck(t *testing.T) {
	f := admittest.New(t)
	blessed, blessedDigest := f.Image(t, "shop/web", "1.0")
	f.Bless(t, blessed)
	noSRE, _ := f.Image(t, "shop/api", "2.0")
	f.Evidence(t, noSRE, "module-lead", "qa")
	nogo, _ := f.Image(t, "shop/db", "3.0")
	f.Bless(t, nogo)
	f.Approve(t, nogo, "sre", attestations.DecisionNoGo)

	tests := []struct {
		name        string
		env         string
		image       string
		wantAllowed bool
		wantExplain []string // substrings of Explain()
	}{
		{"blessed tag is allowed and resolved to its digest", admittest.Production, blessed, true, nil},
		{"blessed digest is allowed", admittest.Production, blessedDigest.String(), true, nil},
		{"missing GO names the image, environment and failed gate", admittest.Production, noSRE,
			false, []string{noSRE, "not blessed for production", "gate approval/sre failed", "; next: sre has not said GO: `gate approve IMAGE --key KEY --role sre --decision go"}},
		{"the same image is blessed where its environment asks less", admittest.Staging, noSRE, true, nil},
		{"NOGO is refused", admittest.Production, nogo, false, []string{nogo, "NOGO", "gate nogo failed", "also failed: approval/sre"}},
		{"an image with no evidence lists the other failed gates", admittest.Production, f.Host + "/shop/none@sha256:" + strings.Repeat("a", 64),
			false, []string{"gate tests/unit failed", "also failed: coverage, vulnerabilities"}},
	}
	c := newChecker(t, f)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := c.Check(context.Background(), admit.Client(f.Client), tt.env, []string{tt.image})
			if err != nil {
				t.Fatal(err)
			}
			r := rs[0]
			if r.Allowed() != tt.wantAllowed {
				t.Fatalf("Allowed() = %v, want %v; %s (err %v)", r.Allowed(), tt.wantAllowed, r.Explain(), r.Err)
			}
			if tt.wantAllowed && r.Explain() != "" {
				t.Errorf("allowed, yet Explain() = %q", r.Explain())
			}
			for _, s := range tt.wantExplain {
				if !strings.Contains(r.Explain(), s) {
					t.Errorf("Explain() = %q, want it to contain %q", r.Explain(), s)
				}
			}
			if strings.Contains(r.Explain(), "\n") {
				t.Errorf("Explain() is more than one line: %q", r.Explain())
			}
			if r.Err == nil && r.Digest.Context().Name() == "" {
				t.Errorf("no digest for a decided image")
			}
		})
	}
	t.Run("unknown environment is an error", func(t *testing.T) {
		if _, err := c.Check(context.Background(), admit.Client(f.Client), "moon", []string{blessed}); err == nil {
			t.Error("Check in an environment the trust config lacks succeeded")
		}
	})
}

func TestCheckCachesPerDigestEnvironmentAndPolicy(t *testing.T) {
	f := admittest.New(t)
	_, d := f.Image(t, "shop/web", "1.0")
	f.Bless(t, d.String())
	c := newChecker(t, f)
	ctx := context.Background()
	steps := []struct {
		name        string
		env         string
		wantOutcome cache.Outcome
	}{
		{"first check verifies", admittest.Production, cache.Computed},
		{"second check is a hit with no registry request", admittest.Production, cache.Hit},
		{"another environment verifies again", admittest.Staging, cache.Computed},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := f.Requests.Load()
			rs, err := c.Check(ctx, admit.Client(f.Client), s.env, []string{d.String()})
			if err != nil || rs[0].Err != nil {
				t.Fatal(err, rs[0].Err)
			}
			if rs[0].Outcome != s.wantOutcome {
				t.Errorf("outcome %v, want %v", rs[0].Outcome, s.wantOutcome)
			}
			if s.wantOutcome == cache.Hit && f.Requests.Load() != before {
				t.Errorf("a cache hit made %d registry requests", f.Requests.Load()-before)
			}
		})
	}
}

// One digest written two ways (by digest, and pinned after its tag as mutation writes it) is
// one verification: the decision cache is keyed by the digest's canonical name.
func TestCheckCachesADigestHoweverItIsWritten(t *testing.T) {
	f := admittest.New(t)
	ref, d := f.Image(t, "shop/web", "1.0")
	f.Bless(t, d.String())
	c := newChecker(t, f)
	ctx := context.Background()
	for i, image := range []string{d.String(), ref + "@" + d.DigestStr()} {
		rs, err := c.Check(ctx, admit.Client(f.Client), admittest.Production, []string{image})
		if err != nil || rs[0].Err != nil || rs[0].Decision == nil || !rs[0].Decision.Allowed {
			t.Fatalf("%s: %v %+v, want blessed", image, err, rs[0])
		}
		if want := map[bool]cache.Outcome{true: cache.Computed, false: cache.Hit}[i == 0]; rs[0].Outcome != want {
			t.Errorf("%s: outcome %v, want %v", image, rs[0].Outcome, want)
		}
	}
	if n := c.Verifications(); n != 1 {
		t.Errorf("%d verifications of one digest written two ways, want 1", n)
	}
}

func TestCheckDeniedDecisionExpiresBeforeBlessedOne(t *testing.T) {
	f := admittest.New(t)
	ref, d := f.Image(t, "shop/web", "1.0")
	f.Evidence(t, ref, "module-lead", "qa")
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(by time.Duration) { mu.Lock(); now = now.Add(by); mu.Unlock() }
	c := newChecker(t, f, admit.WithClock(clock), admit.WithTTL(time.Hour, 10*time.Second))
	check := func() admit.Result {
		rs, err := c.Check(context.Background(), admit.Client(f.Client), "", []string{d.String()})
		if err != nil {
			t.Fatal(err)
		}
		return rs[0]
	}
	if check().Allowed() {
		t.Fatal("allowed without SRE's GO")
	}
	f.Approve(t, ref, "sre", attestations.DecisionGo)
	if r := check(); r.Allowed() || r.Outcome != cache.Hit {
		t.Errorf("within the denied TTL: allowed=%v outcome=%v, want the cached denial", r.Allowed(), r.Outcome)
	}
	advance(11 * time.Second)
	if r := check(); !r.Allowed() || r.Outcome != cache.Computed {
		t.Errorf("after the denied TTL: allowed=%v outcome=%v (%s), want a new blessed decision", r.Allowed(), r.Outcome, r.Explain())
	}
}

func TestCheckMergesConcurrentChecksOfOneDigest(t *testing.T) {
	f := admittest.New(t)
	ref, d := f.Image(t, "shop/web", "1.0")
	f.Bless(t, ref)

	// What one verification costs, measured on a checker of its own.
	before := f.Requests.Load()
	if _, err := newChecker(t, f).Check(context.Background(), admit.Client(f.Client), "", []string{d.String()}); err != nil {
		t.Fatal(err)
	}
	one := f.Requests.Load() - before

	f.Slow(20 * time.Millisecond) // keep the verification running while the others arrive
	c := newChecker(t, f)
	before = f.Requests.Load()
	const reviews = 1000
	var wg sync.WaitGroup
	var allowed atomic.Int64
	for range reviews {
		wg.Go(func() {
			rs, err := c.Check(context.Background(), admit.Client(f.Client), "", []string{d.String()})
			if err == nil && rs[0].Allowed() {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != reviews {
		t.Errorf("%d of %d concurrent checks allowed", allowed.Load(), reviews)
	}
	if n := c.Verifications(); n != 1 {
		t.Errorf("%d verifications for %d concurrent checks of one digest, want 1", n, reviews)
	}
	if got := f.Requests.Load() - before; got != one {
		t.Errorf("%d registry requests, want %d (one verification's)", got, one)
	}
}

func TestCheckImagesOfOneWorkloadInParallel(t *testing.T) {
	f := admittest.New(t)
	var refs []string
	for _, repo := range []string{"shop/web", "shop/sidecar", "shop/init"} {
		_, d := f.Image(t, repo, "1.0")
		f.Bless(t, d.String())
		refs = append(refs, d.String())
	}
	// Count the distinct repositories with a request in flight at once: checked one after
	// the other, there would never be more than one.
	var mu sync.Mutex
	inflight := map[string]int{}
	peak := 0
	f.Observe(func(r *http.Request) func() {
		repo, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/referrers/")
		repo, _, _ = strings.Cut(repo, "/manifests/")
		repo, _, _ = strings.Cut(repo, "/blobs/")
		mu.Lock()
		inflight[repo]++
		peak = max(peak, len(inflight))
		mu.Unlock()
		return func() {
			mu.Lock()
			if inflight[repo]--; inflight[repo] == 0 {
				delete(inflight, repo)
			}
			mu.Unlock()
		}
	})
	f.Slow(50 * time.Millisecond)
	rs, err := newChecker(t, f).Check(context.Background(), admit.Client(f.Client), "", refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !r.Allowed() {
			t.Fatalf("%s: %s", r.Image, r.Explain())
		}
	}
	if peak < len(refs) {
		t.Errorf("at most %d images had registry requests in flight at once, want %d", peak, len(refs))
	}
}

func TestCheckRefusesWhenTheRegistryFails(t *testing.T) {
	tests := []struct {
		name     string
		breakReg func(*admittest.Fixture)
		deadline time.Duration
		want     string
	}{
		{"registry down", (*admittest.Fixture).Stop, 5 * time.Second, "connection refused"},
		{"registry slower than the deadline", func(f *admittest.Fixture) { f.Slow(5 * time.Second) }, 300 * time.Millisecond, "no answer from the registry before the deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := admittest.New(t)
			ref, _ := f.Image(t, "shop/web", "1.0")
			f.Bless(t, ref)
			tt.breakReg(f)
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			start := time.Now()
			rs, err := newChecker(t, f).Check(ctx, admit.Client(f.Client), "", []string{ref})
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > tt.deadline+200*time.Millisecond {
				t.Errorf("answered after %s, beyond the %s deadline", took, tt.deadline)
			}
			r := rs[0]
			if r.Allowed() {
				t.Fatal("allowed although the registry failed")
			}
			for _, s := range []string{ref, "could not be verified", tt.want} {
				if !strings.Contains(r.Explain(), s) {
					t.Errorf("Explain() = %q, want it to contain %q", r.Explain(), s)
				}
			}
		})
	}
}

func TestCheckRecordsEveryVerification(t *testing.T) {
	f := admittest.New(t)
	_, blessed := f.Image(t, "shop/web", "1.0")
	f.Bless(t, blessed.String())
	_, bare := f.Image(t, "shop/web", "2.0")
	path := filepath.Join(t.TempDir(), "records.jsonl")
	w, err := record.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newChecker(t, f, admit.WithRecords(w))
	for range 2 { // the second check of each is a cache hit: the same decision, not recorded again
		if _, err := c.Check(context.Background(), admit.Client(f.Client), admittest.Production, []string{blessed.String(), bare.String()}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		if e.Record.Origin != "admission" {
			t.Errorf("record origin %q, want admission", e.Record.Origin)
		}
		got[e.Record.Digest] = e.Record.Allowed
	}
	if len(entries) != 2 || !got[blessed.DigestStr()] || got[bare.DigestStr()] {
		t.Fatalf("want one record per verification (blessed and not), got %d: %v", len(entries), got)
	}
}

func TestCheckRefusesWhatItCannotRecord(t *testing.T) {
	f := admittest.New(t)
	_, d := f.Image(t, "shop/web", "1.0")
	f.Bless(t, d.String())
	w, err := record.Open(filepath.Join(t.TempDir(), "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w.Close() // every append now fails
	c := newChecker(t, f, admit.WithRecords(w))
	rs, err := c.Check(context.Background(), admit.Client(f.Client), admittest.Production, []string{d.String()})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Allowed() || rs[0].Err == nil {
		t.Fatalf("a decision that could not be recorded was made: %+v", rs[0])
	}
}

func TestCheckRecoversAPanicAsCouldNotDecide(t *testing.T) {
	f := admittest.New(t)
	blessed, _ := f.Image(t, "shop/web", "1.0")
	f.Bless(t, blessed)
	other, _ := f.Image(t, "shop/api", "1.0")
	f.Bless(t, other)
	panicking := admit.Registry(func() *oci.Client { panic("registry client exploded") })
	tests := []struct {
		name   string
		images []string
	}{
		{"one image, checked on the caller's goroutine", []string{blessed}},
		{"several images, each checked on a worker goroutine", []string{blessed, other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := newChecker(t, f).Check(context.Background(), panicking, admittest.Production, tt.images)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Allowed() {
					t.Fatalf("%s allowed although its check panicked", r.Image)
				}
				if !errors.Is(r.Err, admit.ErrPanic) || !strings.Contains(r.Err.Error(), "registry client exploded") {
					t.Errorf("error %v, want ErrPanic with the panic's value", r.Err)
				}
				if !strings.Contains(r.Explain(), "could not be verified, so it is refused") {
					t.Errorf("Explain() = %q", r.Explain())
				}
			}
		})
	}
}

// TestCheckRefusesAChartSchemeInAPod: gate's commands take oci://REG/REPO for Helm charts,
// and its reference parsing strips the scheme; a Pod's image written so is not a container
// image a runtime can pull, and is refused rather than decided (and pinned) as the image it
// names without the scheme, blessed or not.
func TestCheckRefusesAChartSchemeInAPod(t *testing.T) {
	f := admittest.New(t)
	blessed, _ := f.Image(t, "shop/web", "1.0")
	f.Bless(t, blessed)
	c := newChecker(t, f)
	rs, err := c.Check(context.Background(), admit.Client(f.Client), admittest.Production, []string{oci.ChartScheme + blessed})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Allowed() || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "write it as "+blessed) {
		t.Fatalf("a Pod image oci://%s: allowed=%v, err %v; want refused, saying how to write it", blessed, rs[0].Allowed(), rs[0].Err)
	}
}
