package oci

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// An artifact's layer is read only as its manifest, checked against the
// digest asked for, declares it: a registry that serves other bytes for it
// (a tampered blob store, a proxy rewriting it) or a layer over the limit
// is refused, the latter before it is fetched.
func TestReadArtifactLayerRefuses(t *testing.T) {
	ctx := context.Background()
	var tamper atomic.Bool
	var blobGets atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			blobGets.Add(1)
			if tamper.Load() {
				rec := httptest.NewRecorder()
				reg.ServeHTTP(rec, r)
				b := bytes.Replace(rec.Body.Bytes(), []byte("allow"), []byte("ALLOW"), 1)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				w.Write(b)
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := NewClient()
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/policy:v1")
	if err != nil {
		t.Fatal(err)
	}
	const cfgType, layerType types.MediaType = "application/x.test.config", "application/x.test.layer"
	layer := []byte("default allow := false")
	d, err := c.PushArtifact(ctx, tag, Artifact{ConfigType: cfgType, Config: []byte("{}"), LayerType: layerType, Layer: layer})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := c.ReadArtifactLayer(ctx, d, cfgType, layerType, 1<<10); err != nil || !bytes.Equal(b, layer) {
		t.Fatalf("read %q, %v; want the layer pushed", b, err)
	}

	tamper.Store(true)
	if b, err := c.ReadArtifactLayer(ctx, d, cfgType, layerType, 1<<10); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("read %q (%v) from a registry serving other bytes, want it refused for its checksum", b, err)
	}
	tamper.Store(false)

	before := blobGets.Load()
	if _, err := c.ReadArtifactLayer(ctx, d, cfgType, layerType, int64(len(layer))-1); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("a layer over the limit: error %v, want it refused as over the limit", err)
	}
	if n := blobGets.Load() - before; n != 0 {
		t.Errorf("the layer over the limit was fetched (%d blob requests)", n)
	}
	if _, err := c.ReadArtifactLayer(ctx, d, "application/x.other", layerType, 1<<10); err == nil || !strings.Contains(err.Error(), "config of type") {
		t.Errorf("another config type: error %v, want it refused", err)
	}
}
