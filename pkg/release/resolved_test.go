package release

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// manifestReads records the manifests read by digest (GET …/manifests/sha256:…).
type manifestReads struct {
	mu    sync.Mutex
	paths map[string]bool
}

func (m *manifestReads) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/sha256:") {
		m.mu.Lock()
		m.paths[r.URL.Path] = true
		m.mu.Unlock()
	}
	return remote.DefaultTransport.RoundTrip(r)
}

func (m *manifestReads) read(t *testing.T, row Row) bool {
	t.Helper()
	d, err := name.NewDigest(row.Reference, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paths["/v2/"+d.Context().RepositoryStr()+"/manifests/"+d.DigestStr()]
}

// TestATableReadsNoManifestATagResolved checks that gate status, having
// resolved a tag with a HEAD that told the manifest's media type, does not
// read the manifest again to tell an index from an image; a digest named
// by no tag still costs that read.
func TestATableReadsNoManifestATagResolved(t *testing.T) {
	s := seeded(t)
	cfg := s.config(t, s.strict)
	for _, tt := range []struct {
		name, ref string
		wantRead  bool
	}{
		{"a repository's tags", s.Repository, false},
		{"one tag", s.Repository + ":1.3", false},
		{"a digest", s.release, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &manifestReads{paths: map[string]bool{}}
			tb, err := Build(context.Background(), oci.NewClient(oci.WithTransport(m)), cfg, tt.ref, time.Now(), Options{Last: -1})
			if err != nil {
				t.Fatal(err)
			}
			if len(tb.Rows) == 0 {
				t.Fatal("no row: the test measures nothing")
			}
			for _, row := range tb.Rows {
				if got := m.read(t, row); got != tt.wantRead {
					t.Errorf("%s (tags %v): manifest read %v, want %v", row.Reference, row.Tags, got, tt.wantRead)
				}
			}
		})
	}
}
