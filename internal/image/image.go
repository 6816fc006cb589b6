// Package image builds gate's container image: static gate and gate-webhook binaries on an empty base, one OCI index for every platform, the same bytes from the same commit.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are in the image. The root filesystem can be mounted read-only: gate writes
// nothing to disk unless told to (--record), and the chart mounts what it must read.
const (
	Entrypoint = "/usr/local/bin/gate"
	// Webhook is gate-webhook, beside gate, where `gate webhook` (the chart's args) finds it.
	Webhook = "/usr/local/bin/gate-webhook"
	CACerts = "/etc/ssl/certs/ca-certificates.crt"
	Home    = "/home/nonroot"
	// UID and GID 65532 are distroless's and ko's "nonroot": Kubernetes' runAsNonRoot
	// needs a numeric user, and a well-known one keeps PodSecurity admission and
	// volume permissions predictable.
	UID = 65532
)

// Spec is what an image is built from.
type Spec struct {
	// Binaries maps a platform ("linux/amd64", "linux/arm64") to gate built for it, static.
	Binaries map[string]string
	// Webhooks maps each platform of Binaries to gate-webhook built for it, static.
	Webhooks map[string]string
	// CACerts is a PEM bundle installed at CACerts (the build machine's, as a rule).
	CACerts string
	// Version, Revision and Source fill the org.opencontainers.image.* annotations and labels.
	Version, Revision, Source string
	// Created is the commit's time, never the build's: it is what makes two builds equal.
	Created time.Time
}

// epoch is every file's modification time: layers then depend on content alone, and the
// base layer is shared by every release that ships the same certificates.
var epoch = time.Unix(0, 0).UTC()

// Build makes the image index: one image per platform, each an empty base plus a layer with
// /etc/passwd, /etc/group, the CA certificates and the home directory, and a layer with gate
// and gate-webhook.
func Build(s Spec) (v1.ImageIndex, error) {
	if len(s.Binaries) == 0 {
		return nil, fmt.Errorf("building image: no binaries")
	}
	if s.Version == "" || s.Revision == "" || s.Created.IsZero() {
		return nil, fmt.Errorf("building image: version, revision and created are required")
	}
	certs, err := os.ReadFile(s.CACerts)
	if err != nil {
		return nil, fmt.Errorf("reading CA certificates: %w", err)
	}
	base, err := layer(baseFiles(certs))
	if err != nil {
		return nil, err
	}
	anns := annotations(s)
	platforms := make([]string, 0, len(s.Binaries))
	for p := range s.Binaries {
		platforms = append(platforms, p)
	}
	sort.Strings(platforms)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", p, err)
		}
		if plat.OS != "linux" {
			return nil, fmt.Errorf("platform %q: gate's image runs on linux only", p)
		}
		bin, err := os.ReadFile(s.Binaries[p])
		if err != nil {
			return nil, fmt.Errorf("reading gate for %s: %w", p, err)
		}
		if s.Webhooks[p] == "" {
			return nil, fmt.Errorf("platform %q: no gate-webhook, which the chart runs (gate webhook)", p)
		}
		webhook, err := os.ReadFile(s.Webhooks[p])
		if err != nil {
			return nil, fmt.Errorf("reading gate-webhook for %s: %w", p, err)
		}
		app, err := layer([]file{
			{name: "usr/", mode: 0o755}, {name: "usr/local/", mode: 0o755}, {name: "usr/local/bin/", mode: 0o755},
			{name: strings.TrimPrefix(Entrypoint, "/"), mode: 0o755, data: bin},
			{name: strings.TrimPrefix(Webhook, "/"), mode: 0o755, data: webhook},
		})
		if err != nil {
			return nil, err
		}
		img, err := platformImage(s, *plat, base, app, anns)
		if err != nil {
			return nil, fmt.Errorf("building image for %s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	return mutate.Annotations(idx, anns).(v1.ImageIndex), nil
}

func platformImage(s Spec, plat v1.Platform, base, app v1.Layer, anns map[string]string) (v1.Image, error) {
	created := v1.Time{Time: s.Created.UTC()}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: plat.Architecture,
		Variant:      plat.Variant,
		OS:           plat.OS,
		Created:      created,
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", UID, UID),
			Entrypoint: []string{Entrypoint},
			WorkingDir: Home,
			Env: []string{
				"PATH=/usr/local/bin:/usr/bin:/bin",
				"HOME=" + Home,
				"SSL_CERT_FILE=" + CACerts,
			},
			Labels: anns,
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "gate image: /etc/passwd, /etc/group, CA certificates, " + Home, Comment: "internal/image"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: created, CreatedBy: "gate image: " + Entrypoint + ", " + Webhook + " " + s.Version, Comment: "internal/image"}},
	)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, anns).(v1.Image), nil
}

func annotations(s Spec) map[string]string {
	a := map[string]string{
		"org.opencontainers.image.title":       "gate",
		"org.opencontainers.image.description": "Release gates as signed evidence on an image's digest, decided by a Rego policy",
		"org.opencontainers.image.version":     s.Version,
		"org.opencontainers.image.revision":    s.Revision,
		"org.opencontainers.image.created":     s.Created.UTC().Format(time.RFC3339),
	}
	if s.Source != "" {
		a["org.opencontainers.image.source"] = s.Source
		a["org.opencontainers.image.url"] = s.Source
	}
	return a
}

// file is one tar entry; a name ending in / is a directory.
type file struct {
	name string
	mode int64
	uid  int
	data []byte
}

func baseFiles(certs []byte) []file {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", UID, UID, Home)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", UID)
	return []file{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(CACerts, "/"), mode: 0o644, data: certs},
		{name: "home/", mode: 0o755},
		{name: strings.TrimPrefix(Home, "/") + "/", mode: 0o700, uid: UID},
		// An empty /tmp for the chart to mount an emptyDir on; the image never needs it.
		{name: "tmp/", mode: 0o1777},
	}
}

// layer writes files as a tar in name order with fixed times and owners, then gzips it
// (tarball's compression: the same bytes for the same input and Go version).
func layer(files []file) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: epoch, Uid: f.uid, Gid: f.uid, Format: tar.FormatPAX}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing layer: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("writing layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing layer: %w", err)
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
