package release

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehq/gate/internal/demo"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// story is the demo's story on a real in-process registry (referrers API
// on), plus two releases of its own: 1.3 with every GO (blessed) and 1.4-rc
// without qa's GO. A second trust config, strict.yaml, adds an environment
// that wants two GOs from qa.
type story struct {
	*demo.Seeded
	host               string
	release, candidate string // 1.3 and 1.4-rc by digest
	strict             string // path of strict.yaml
}

const strictConfig = `roles:
  ci: {keys: [ci.pub], maySign: [tests, vulns, coverage, provenance]}
  module-lead: {keys: [module-lead.pub], maySign: [approval]}
  qa: {keys: [qa.pub], maySign: [approval]}
  sre: {keys: [sre.pub], maySign: [approval]}
environments:
  demo: {policy: policies, data: demo-data.json}
  strict: {policy: policies, data: strict-data.json}
defaultEnvironment: demo
`

var (
	storyOnce sync.Once
	theStory  *story
	storyErr  error
)

// seeded tells the story once per run: keys are scrypt-encrypted, slow on
// purpose, and every test reads the same registry without writing to it.
func seeded(t testing.TB) *story {
	t.Helper()
	storyOnce.Do(func() {
		ctx := context.Background()
		srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
		dir, err := os.MkdirTemp("", "gate-release-test-")
		if err != nil {
			storyErr = err
			return
		}
		s := &story{host: strings.TrimPrefix(srv.URL, "http://"), strict: filepath.Join(dir, "strict.yaml")}
		if s.Seeded, storyErr = demo.Seed(ctx, s.host, dir); storyErr != nil {
			return
		}
		if s.release, storyErr = s.Release(ctx, "1.3", "module-lead", "qa", "sre"); storyErr != nil {
			return
		}
		if s.candidate, storyErr = s.Release(ctx, "1.4-rc", "module-lead", "sre"); storyErr != nil {
			return
		}
		data, err := os.ReadFile(filepath.Join(dir, "demo-data.json"))
		if err != nil {
			storyErr = err
			return
		}
		strictData := strings.Replace(string(data), `"qa": 1`, `"qa": 2`, 1)
		if storyErr = os.WriteFile(filepath.Join(dir, "strict-data.json"), []byte(strictData), 0o600); storyErr != nil {
			return
		}
		storyErr = os.WriteFile(s.strict, []byte(strictConfig), 0o600)
		theStory = s
		// The registry and the directory live as long as the test binary.
	})
	if storyErr != nil {
		t.Fatal(storyErr)
	}
	return theStory
}

func (s *story) config(t testing.TB, path string) *config.Config { return theConfig(t, path) }

func theConfig(t testing.TB, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// counter counts registry requests, and how often each blob is fetched.
type counter struct {
	next     http.RoundTripper
	requests atomic.Int64
	mu       sync.Mutex
	blobs    map[string]int
}

func newCounter() *counter { return &counter{next: remote.DefaultTransport, blobs: map[string]int{}} }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		c.mu.Lock()
		c.blobs[r.URL.Path]++
		c.mu.Unlock()
	}
	return c.next.RoundTrip(r)
}

func (c *counter) client() *oci.Client { return oci.NewClient(oci.WithTransport(c)) }

// fetchedTwice returns the blobs fetched more than once.
func (c *counter) fetchedTwice() []string {
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
