package oci_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/chart/charttest"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestAChartIsNamedByItsOCIReference(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	c := oci.NewClient()
	ctx := context.Background()
	ch := charttest.Chart{Name: "web", Version: "1.2.3", Files: map[string]string{"templates/x.yaml": "{}"}}
	ref, want := charttest.Push(t, host, "charts/web", ch)
	if !strings.HasPrefix(ref, "oci://") {
		t.Fatalf("charttest.Push returned %q, not helm's oci:// name", ref)
	}

	for _, r := range []string{ref, oci.ChartScheme + want.String()} {
		d, err := c.Resolve(ctx, r)
		if err != nil || d != want {
			t.Fatalf("Resolve(%s) = %v, %v; want %v", r, d, err, want)
		}
	}
	archive, err := c.ChartArchive(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if string(archive) != string(charttest.Archive(t, ch)) {
		t.Error("the chart archive read is not the one pushed")
	}

	tag := func(s string) name.Tag {
		t.Helper()
		tg, err := name.NewTag(host + "/charts/odd:" + s)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	cfg := static.NewLayer([]byte(`{}`), oci.ChartConfigMediaType)
	layer := static.NewLayer([]byte("not really gzip"), oci.ChartContentMediaType)
	notChart := charttest.PushManifest(t, tag("image"), static.NewLayer([]byte(`{}`), types.OCIConfigJSON), layer)
	twoLayers := charttest.PushManifest(t, tag("two"), cfg, layer, static.NewLayer([]byte("other"), oci.ChartContentMediaType))
	cfgDesc, _ := describe(cfg)
	huge := charttest.PushRaw(t, tag("huge"), v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: cfgDesc,
		Layers: []v1.Descriptor{{MediaType: oci.ChartContentMediaType, Size: oci.MaxChartSize + 1, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}}})
	for _, tc := range []struct {
		desc     string
		d        name.Digest
		notChart bool
		want     string
	}{
		{"an image", notChart, true, "config of type"},
		{"two chart layers", twoLayers, true, "2 layers"},
		{"a layer over the bound", huge, false, "over gate's limit"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := c.ChartArchive(ctx, tc.d)
			if err == nil || errors.Is(err, oci.ErrNotChart) != tc.notChart || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error saying %q (ErrNotChart %v), got %v", tc.want, tc.notChart, err)
			}
		})
	}
}

func describe(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	n, err := l.Size()
	return v1.Descriptor{MediaType: oci.ChartConfigMediaType, Digest: d, Size: n}, err
}
