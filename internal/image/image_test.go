package image

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func spec(t *testing.T) Spec {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return Spec{
		Binaries: map[string]string{"linux/arm64": write("gate_arm64", "arm64 gate"), "linux/amd64": write("gate_amd64", "amd64 gate")},
		Webhooks: map[string]string{"linux/arm64": write("gate-webhook_arm64", "arm64 gate-webhook"), "linux/amd64": write("gate-webhook_amd64", "amd64 gate-webhook")},
		CACerts:  write("ca.pem", "-----BEGIN CERTIFICATE-----\n"),
		Version:  "v0.1.0", Revision: "6f1c2e0", Source: "https://github.com/gatehq/gate",
		Created: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC),
	}
}

func digest(t *testing.T, s Spec) v1.Hash {
	t.Helper()
	idx, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildIsReproducible(t *testing.T) {
	s := spec(t)
	first := digest(t, s)
	time.Sleep(1100 * time.Millisecond) // a build that read the clock would now differ
	if again := digest(t, s); again != first {
		t.Fatalf("two builds of the same inputs: %s, then %s", first, again)
	}
	for _, tc := range []struct {
		desc   string
		change func(*Spec)
	}{
		{"another version", func(s *Spec) { s.Version = "v0.1.1" }},
		{"another commit time", func(s *Spec) { s.Created = s.Created.Add(time.Second) }},
		{"another binary", func(s *Spec) { s.Binaries["linux/amd64"] = s.CACerts }},
		{"another gate-webhook", func(s *Spec) { s.Webhooks["linux/amd64"] = s.CACerts }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := spec(t)
			tc.change(&c)
			if digest(t, c) == first {
				t.Errorf("%s gives the same digest", tc.desc)
			}
		})
	}
}

func TestBuildMakesARunnableNonRootIndex(t *testing.T) {
	s := spec(t)
	idx, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.index.v1+json" || m.Annotations["org.opencontainers.image.revision"] != "6f1c2e0" ||
		m.Annotations["org.opencontainers.image.created"] != "2026-11-29T10:00:00Z" || m.Annotations["org.opencontainers.image.version"] != "v0.1.0" {
		t.Errorf("index: %s, annotations %v", m.MediaType, m.Annotations)
	}
	var platforms []string
	for _, d := range m.Manifests {
		platforms = append(platforms, d.Platform.String())
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != Entrypoint ||
			cf.Created.Time != s.Created || cf.Config.Labels["org.opencontainers.image.source"] != s.Source || cf.Architecture != d.Platform.Architecture {
			t.Errorf("%s config: %+v", d.Platform, cf)
		}
		files := contents(t, img)
		if string(files[Entrypoint[1:]].data) != d.Platform.Architecture+" gate" {
			t.Errorf("%s: %s holds %q", d.Platform, Entrypoint, files[Entrypoint[1:]].data)
		}
		if w := files[Webhook[1:]]; string(w.data) != d.Platform.Architecture+" gate-webhook" || w.mode != 0o755 {
			t.Errorf("%s: %s holds %q, mode %o", d.Platform, Webhook, w.data, w.mode)
		}
		if f := files["home/nonroot/"]; f.uid != UID {
			t.Errorf("%s: home owned by %d", d.Platform, f.uid)
		}
		if _, ok := files[CACerts[1:]]; !ok {
			t.Errorf("%s: no %s", d.Platform, CACerts)
		}
	}
	if len(platforms) != 2 || platforms[0] != "linux/amd64" || platforms[1] != "linux/arm64" {
		t.Errorf("platforms %v", platforms)
	}
}

// contents reads every layer's tar, checking that entries are sorted and carry no time.
func contents(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]file{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		prev := ""
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name <= prev || !h.ModTime.Equal(epoch) {
				t.Errorf("entry %s (after %s) at %s: want sorted, at the epoch", h.Name, prev, h.ModTime)
			}
			prev = h.Name
			b, _ := io.ReadAll(tr)
			files[h.Name] = file{name: h.Name, mode: h.Mode, uid: h.Uid, data: b}
		}
		rc.Close()
	}
	return files
}

func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		change func(*Spec)
	}{
		{"no binaries", func(s *Spec) { s.Binaries = nil }},
		{"a darwin binary", func(s *Spec) { s.Binaries["darwin/arm64"] = s.CACerts }},
		{"a platform without gate-webhook", func(s *Spec) { delete(s.Webhooks, "linux/arm64") }},
		{"no commit time", func(s *Spec) { s.Created = time.Time{} }},
		{"a missing CA bundle", func(s *Spec) { s.CACerts = "/nonexistent" }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := spec(t)
			tc.change(&s)
			if _, err := Build(s); err == nil {
				t.Error("built anyway")
			}
		})
	}
}

func TestWriteLayoutTagsTheIndex(t *testing.T) {
	idx, err := Build(spec(t))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	dir := filepath.Join(t.TempDir(), "image")
	if err := WriteLayout(dir, idx, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	// Validated as read back, which is what a registry or runtime sees: mutate's in-memory
	// Manifest() has {} where the bytes have no layer annotations, which validate reports.
	written, err := top.ImageIndex(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(written); err != nil {
		t.Fatalf("not a valid index: %v", err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want || m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v0.1.0" {
		t.Errorf("index.json: %+v, want one entry %s tagged v0.1.0", m.Manifests, want)
	}
}
