package oci

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Locate reads a referrer manifest without go-containerregistry's parse,
// so it checks the digest itself: a registry serving other content under
// the digest a listing names must not have it verified as that referrer.
// The session is made once per repository, not per read.
func TestManifestReadIsCheckedAgainstItsDigest(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var swap atomic.Pointer[string]
	var pings atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			pings.Add(1)
		}
		if s := swap.Load(); s != nil && strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			io.WriteString(w, *s)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/app")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("x"), img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	size, _ := img.Size()
	pings.Store(0)
	c := NewClient()
	for range 2 {
		if _, err := c.readManifest(context.Background(), repo, h, size); err != nil {
			t.Fatalf("reading the manifest as stored: %v", err)
		}
	}
	if n := pings.Load(); n != 1 {
		t.Errorf("two reads pinged the registry %d times, want once", n)
	}
	other := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`
	swap.Store(&other)
	_, err = c.readManifest(context.Background(), repo, h, int64(len(other)))
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), h.String()) {
		t.Fatalf("got %v; want the swapped manifest refused as unusable, naming %s", err, h)
	}
	// A listing that understates the manifest is not read past what it says.
	swap.Store(nil)
	_, err = c.readManifest(context.Background(), repo, h, 1)
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "not the 1 bytes its listing declares") {
		t.Fatalf("got %v; want a manifest larger than its listed size refused", err)
	}
}
