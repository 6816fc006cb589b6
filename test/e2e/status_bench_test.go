package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehq/gate/internal/demo"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/release"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// statusDigests and the demo's release (5 pipeline attestations, 3 GOs) make the issue's
// benchmark: 50 digests × 8 attestations.
const statusDigests = 50

// statusRuns is how many `gate status` processes are timed, after one warm-up.
const statusRuns = 5

// TestStatusOnDistribution measures `gate status REPO --last 50` on the CNCF distribution
// registry (v3.1.2, no referrers API: the fallback tag scheme) holding 50 tagged digests with 8
// attestations each: the wall time of the process, and the registry requests of one table
// counted in-process with the same code (release.Build), failing if a blob is fetched twice.
// It runs only with GATE_E2E=1 and GATE_BENCH=1, and prints the figures for BENCHMARKS.md.
func TestStatusOnDistribution(t *testing.T) {
	requireE2E(t)
	if os.Getenv("GATE_BENCH") != "1" {
		t.Skip("a benchmark: GATE_E2E=1 GATE_BENCH=1 go test ./test/e2e -run TestStatusOnDistribution -v")
	}
	ctx := context.Background()
	w := newWorld(t)
	r := startDistribution(t, "")
	s, err := demo.Prepare(ctx, r.host, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seed := time.Now()
	for i := range statusDigests {
		if _, err := s.Release(ctx, fmt.Sprintf("1.%d", i), "module-lead", "qa", "sre"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d digests × 8 attestations in %s", statusDigests, time.Since(seed).Round(time.Millisecond))

	cfg, err := config.Load(ctx, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	cnt := &requestCounter{next: remote.DefaultTransport, blobs: map[string]int{}}
	tbl, err := release.Build(ctx, oci.NewClient(oci.WithTransport(cnt)), cfg, s.Repository, time.Now(), release.Options{Last: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Rows) != statusDigests || !tbl.Rows[0].Verdicts[0].Blessed || len(tbl.Rows[0].Votes) != 3 {
		t.Fatalf("table has %d rows (want %d), newest blessed=%v", len(tbl.Rows), statusDigests, tbl.Rows[0].Verdicts[0].Blessed)
	}
	if twice := cnt.fetchedTwice(); len(twice) > 0 {
		t.Fatalf("blobs fetched more than once: %v", twice)
	}
	n := cnt.requests.Load()

	bin := gateBin(t)
	args := []string{"status", s.Repository, "--last", "50", "--config", s.Config}
	w.must(bin, args...) // warm-up: the page cache, the binary
	var times []string
	var total time.Duration
	for range statusRuns {
		res := w.must(bin, args...)
		if !strings.Contains(res.stdout, fmt.Sprintf("%d digests", statusDigests)) {
			t.Fatalf("gate status did not show the table:\n%s", res)
		}
		times = append(times, res.elapsed.Round(10*time.Millisecond).String())
		total += res.elapsed
	}
	t.Logf("registry: distribution v3.1.2 on loopback (fallback tags); %d digests × 8 attestations", statusDigests)
	t.Logf("gate status --last 50, wall time of %d processes: %s (mean %s)", statusRuns, strings.Join(times, ", "), (total / statusRuns).Round(10*time.Millisecond))
	t.Logf("registry requests per table: %d, per digest: %.1f; blobs fetched twice: 0; by kind: %v", n, float64(n)/statusDigests, cnt.kinds)
}

// requestCounter counts a client's requests and each blob's GETs.
type requestCounter struct {
	next     http.RoundTripper
	requests atomic.Int64
	mu       sync.Mutex
	blobs    map[string]int
	kinds    map[string]int // METHOD and the path's kind: what the requests are
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	kind := r.URL.Path
	for _, k := range []string{"/blobs/", "/manifests/", "/referrers/", "/tags/list"} {
		if strings.Contains(kind, k) {
			kind = k
		}
	}
	if kind == r.URL.Path && kind != "/v2/" {
		kind = "other"
	}
	c.mu.Lock()
	if c.kinds == nil {
		c.kinds = map[string]int{}
	}
	c.kinds[r.Method+" "+kind]++
	c.mu.Unlock()
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		c.mu.Lock()
		c.blobs[r.URL.Path]++
		c.mu.Unlock()
	}
	return c.next.RoundTrip(r)
}

func (c *requestCounter) fetchedTwice() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for p, n := range c.blobs {
		if n > 1 {
			out = append(out, p)
		}
	}
	return out
}
