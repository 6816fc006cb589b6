// Package charttest packs Helm charts and pushes them to a registry as helm push does, for tests.
package charttest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/gatehq/gate/pkg/chart"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Chart is a chart's name, version and files (Chart.yaml is written from
// the name and version unless files has one), e.g.
// {"templates/web.yaml": "...", "values.yaml": "..."}.
type Chart struct {
	Name, Version string
	Files         map[string]string
}

// Archive packs c as helm package does: a gzipped tar of NAME/FILE.
func Archive(t testing.TB, c Chart) []byte {
	t.Helper()
	files := maps.Clone(c.Files)
	if files == nil {
		files = map[string]string{}
	}
	if _, ok := files["Chart.yaml"]; !ok {
		files["Chart.yaml"] = "apiVersion: v2\nname: " + c.Name + "\nversion: " + c.Version + "\ntype: application\n"
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range slices.Sorted(maps.Keys(files)) {
		body := files[f]
		if err := tw.WriteHeader(&tar.Header{Name: c.Name + "/" + f, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Push packs c and pushes it to host/repo:VERSION as helm push does (an OCI
// manifest with Helm's config and chart layer), returning its oci:// name
// and digest.
func Push(t testing.TB, host, repo string, c Chart) (string, name.Digest) {
	t.Helper()
	tag, err := name.NewTag(host + "/" + repo + ":" + c.Version)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(map[string]string{"apiVersion": "v2", "name": c.Name, "version": c.Version, "type": "application"})
	if err != nil {
		t.Fatal(err)
	}
	d := PushManifest(t, tag, static.NewLayer(cfg, oci.ChartConfigMediaType), static.NewLayer(Archive(t, c), oci.ChartContentMediaType))
	return oci.ChartScheme + tag.String(), d
}

// PushManifest pushes config and layers under tag as one OCI image manifest,
// whatever their media types, and returns its digest.
func PushManifest(t testing.TB, tag name.Tag, config v1.Layer, layers ...v1.Layer) name.Digest {
	t.Helper()
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1}
	for i, l := range append([]v1.Layer{config}, layers...) {
		if err := remote.WriteLayer(tag.Context(), l); err != nil {
			t.Fatal(err)
		}
		desc, err := describe(l)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			m.Config = desc
		} else {
			m.Layers = append(m.Layers, desc)
		}
	}
	return PushRaw(t, tag, m)
}

// PushRaw pushes m under tag as it is, blobs or not, and returns its digest.
func PushRaw(t testing.TB, tag name.Tag, m v1.Manifest) name.Digest {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(tag, rawManifest(raw)); err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(h.String())
}

func describe(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	n, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	return v1.Descriptor{MediaType: mt, Digest: d, Size: n}, err
}

type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error)        { return r, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// NeedHelm fails the test in CI, and skips it elsewhere, when no helm
// program renders charts ($GATE_HELM, or helm on PATH): make test builds
// one (scripts/install-kube.sh) and hands it to the tests.
func NeedHelm(t testing.TB) {
	t.Helper()
	if _, err := chart.Helm(""); err == nil {
		return
	}
	const msg = "no helm renders charts: run make test, which builds one (scripts/install-kube.sh), or set GATE_HELM to a helm program"
	if os.Getenv("CI") != "" || os.Getenv("GATE_E2E") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
