package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// indexPuts wraps a registry without the referrers API and lets a test
// delay or hold the PUTs of fallback indexes, and see what each one held.
type indexPuts struct {
	next  http.Handler
	delay func() time.Duration // before each index PUT reaches the registry
	hold  chan chan struct{}   // if set, the first index PUT sends here and waits
	// phantom lists a record tag that cannot be read, as distribution does
	// while another writer's PUT of that tag is under way.
	phantom bool
	held    atomic.Bool
	mu      sync.Mutex
	puts    [][]v1.Hash // the entries of each index PUT, in the order they took effect
}

func (p *indexPuts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if last := r.URL.Query().Get("last"); p.phantom && strings.HasSuffix(r.URL.Path, "/tags/list") && last != "" {
		rec := httptest.NewRecorder()
		p.next.ServeHTTP(rec, r)
		var body struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		body.Tags = append(body.Tags, last+"-"+strings.Repeat("0", recordDigestLen))
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	if r.Method != http.MethodPut || !isFallbackTagPath(r.URL.Path) {
		p.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if p.hold != nil && p.held.CompareAndSwap(false, true) {
		release := make(chan struct{})
		p.hold <- release
		<-release
	}
	if p.delay != nil {
		time.Sleep(p.delay())
	}
	var idx v1.IndexManifest
	_ = json.Unmarshal(body, &idx)
	var hs []v1.Hash
	for _, d := range idx.Manifests {
		hs = append(hs, d.Digest)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.ServeHTTP(w, r) // under the lock, so puts is in the order the registry saw
	p.puts = append(p.puts, hs)
}

func isFallbackTagPath(path string) bool {
	tag := path[strings.LastIndex(path, "/")+1:]
	return strings.HasPrefix(tag, "sha256-") && !strings.Contains(tag, ".")
}

// clobbers counts index PUTs that dropped an entry an earlier PUT had: the
// lost writes a naive read-modify-write leaves behind.
func (p *indexPuts) clobbers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen, n := map[v1.Hash]bool{}, 0
	for _, put := range p.puts {
		in := map[v1.Hash]bool{}
		for _, h := range put {
			in[h], seen[h] = true, true
		}
		for h := range seen {
			if !in[h] {
				n++
				break
			}
		}
	}
	return n
}

func newFallbackRegistry(t *testing.T, p *indexPuts) (*Client, name.Digest) {
	t.Helper()
	p.next = registry.New(registry.WithReferrersSupport(false), registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return NewClient(), ref.Context().Digest(d.String())
}

func push(t *testing.T, c *Client, subject name.Digest, i int) v1.Hash {
	t.Helper()
	h, err := c.Push(context.Background(), subject, []byte(fmt.Sprintf(`{"writer":%d}`, i)), "https://example.test/p")
	if err != nil {
		t.Errorf("writer %d: %v", i, err)
	}
	return h
}

func assertListed(t *testing.T, c *Client, subject name.Digest, want []v1.Hash) {
	t.Helper()
	got, err := c.List(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[v1.Hash]bool{}
	for _, a := range got {
		listed[a.Manifest] = true
	}
	for i, h := range want {
		if !listed[h] {
			t.Errorf("writer %d's attestation %s is missing from the fallback index", i, h)
		}
	}
}

func TestFallbackWriterUndoneByAStaleWriteIsRepaired(t *testing.T) {
	// The race that loses cosign's writes, made certain: writer A reads the
	// index, its PUT is held until writer B has finished entirely (B saw its
	// entry and returned), and then A's PUT, from before B, replaces the index.
	p := &indexPuts{hold: make(chan chan struct{})}
	c, subject := newFallbackRegistry(t, p)
	var a v1.Hash
	done := make(chan struct{})
	go func() { defer close(done); a = push(t, c, subject, 0) }()
	release := <-p.hold
	b := push(t, c, subject, 1)
	close(release)
	<-done
	if p.clobbers() == 0 {
		t.Fatal("A's held PUT did not drop B's entry: the test did not stage the race")
	}
	assertListed(t, c, subject, []v1.Hash{a, b})
}

func TestFallbackKeepsEverySixteenConcurrentWriters(t *testing.T) {
	p := &indexPuts{delay: func() time.Duration { return rand.N(30 * time.Millisecond) }}
	c, subject := newFallbackRegistry(t, p)
	hs := make([]v1.Hash, 16)
	var wg sync.WaitGroup
	for i := range hs {
		wg.Go(func() { hs[i] = push(t, c, subject, i) })
	}
	wg.Wait()
	t.Logf("%d index PUTs, %d of them dropped an entry and were repaired", len(p.puts), p.clobbers())
	assertListed(t, c, subject, hs)
}

func TestFallbackKeepsEntriesOfOtherWriters(t *testing.T) {
	p := &indexPuts{}
	c, subject := newFallbackRegistry(t, p)
	// An entry gate did not write (cosign's, say) is already in the index.
	other, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(subject.Context().Tag("other"), other); err != nil {
		t.Fatal(err)
	}
	foreign, err := partial.Descriptor(other)
	if err != nil {
		t.Fatal(err)
	}
	foreign.ArtifactType = BundleMediaType
	raw, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{*foreign}})
	s, err := c.session(context.Background(), subject.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.putManifest(context.Background(), FallbackTag(subject).TagStr(), types.OCIImageIndex, raw); err != nil {
		t.Fatal(err)
	}
	h := push(t, c, subject, 0)
	assertListed(t, c, subject, []v1.Hash{foreign.Digest, h})
}

func TestFallbackLeavesARecordListedBeforeItIsWrittenToItsWriter(t *testing.T) {
	p := &indexPuts{phantom: true}
	c, subject := newFallbackRegistry(t, p)
	h := push(t, c, subject, 0)
	assertListed(t, c, subject, []v1.Hash{h})
}
