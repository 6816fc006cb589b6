package kube

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The container runtime here is this file: no kubelet or containerd, so "pulling" is go-containerregistry
// pushing make image's index to an in-process registry and reading this machine's platform back
// by digest (what containerd does), and "creating the container" is mutate.Extract's flattened
// filesystem untarred under a directory. There is no chroot (the test would need a mount
// namespace), so every absolute path the image's config names (entrypoint, env, working
// directory) is moved under that directory instead.

// podImage is what a container of the Deployment runs, with the image's paths already on this machine.
type podImage struct {
	root       string   // the image's filesystem; "" for gate built from this tree
	entrypoint []string // the config's Entrypoint, its program under root
	cmd        []string // the config's Cmd
	env        []string // the config's Env, absolute paths under root
	workDir    string
	uid, gid   *int64 // the config's User
	exe        string // the entrypoint's file, gate
	server     string // gate-webhook beside it, which a replica's process runs once gate webhook has exec'd it
	labels     map[string]string
}

// inImage moves an absolute path of the image under its root.
func (im *podImage) inImage(p string) string {
	if im.root == "" || !strings.HasPrefix(p, "/") {
		return p
	}
	return filepath.Join(im.root, p)
}

// loadImage lays out gate's image from the OCI layout at dir for this machine's platform.
func loadImage(t *testing.T, layoutDir, dir string) *podImage {
	t.Helper()
	img := pullImage(t, layoutDir)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	im := &podImage{root: filepath.Join(dir, "image"), cmd: cf.Config.Cmd, labels: cf.Config.Labels}
	if err := os.MkdirAll(im.root, 0o755); err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := untar(rc, im.root); err != nil {
		t.Fatalf("laying out the image's filesystem: %v", err)
	}
	if len(cf.Config.Entrypoint) == 0 {
		t.Fatal("the image has no Entrypoint")
	}
	im.entrypoint = append([]string{im.inImage(cf.Config.Entrypoint[0])}, cf.Config.Entrypoint[1:]...)
	im.exe = im.entrypoint[0]
	server := path.Join(path.Dir(cf.Config.Entrypoint[0]), "gate-webhook")
	im.server = im.inImage(server)
	for _, e := range cf.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		im.env = append(im.env, k+"="+im.inImageList(v))
	}
	// Go's x509 reads SSL_CERT_FILE and SSL_CERT_DIR, else fixed paths such as /etc/ssl/certs —
	// which would be this machine's. Naming the image's own directory keeps the host's
	// certificates out: only what the image ships (and the Deployment mounts) is trusted.
	im.env = append(im.env, "SSL_CERT_DIR="+im.inImage("/etc/ssl/certs"))
	im.workDir = im.inImage(cf.Config.WorkingDir)
	if im.workDir == "" {
		im.workDir = im.root
	}
	uid, gid, err := parseUser(cf.Config.User)
	if err != nil || uid != 65532 || (gid != nil && *gid != 65532) {
		t.Fatalf("the image's User is %q, want 65532 (gate's nonroot user): %v", cf.Config.User, err)
	}
	im.uid, im.gid = &uid, gid
	// The extracted files must be the bytes the image's layer holds: hash both.
	for file, extracted := range map[string]string{cf.Config.Entrypoint[0]: im.exe, server: im.server} {
		want := layerFileSHA(t, img, file)
		if got := fileSHA(t, extracted); got != want {
			t.Fatalf("the extracted %s has sha256 %s, its layer's file %s", extracted, got, want)
		}
	}
	return im
}

// inImageList moves every absolute element of a colon-separated value (PATH, SSL_CERT_DIR, a path) under root.
func (im *podImage) inImageList(v string) string {
	parts := strings.Split(v, ":")
	for i, p := range parts {
		parts[i] = im.inImage(p)
	}
	return strings.Join(parts, ":")
}

// pullImage pushes the layout's index to a registry and pulls linux/GOARCH back by digest.
func pullImage(t *testing.T, layoutDir string) v1.Image {
	t.Helper()
	p, err := layout.FromPath(layoutDir)
	if err != nil {
		t.Fatalf("%s=%s: %v", gateImageLayout, layoutDir, err)
	}
	outer, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	om, err := outer.IndexManifest()
	if err != nil || len(om.Manifests) != 1 {
		t.Fatalf("the layout at %s should hold one image index (make image's): %v %+v", layoutDir, err, om)
	}
	idx, err := outer.ImageIndex(om.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/gate")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(repo.Tag("e2e"), idx); err != nil {
		t.Fatalf("pushing the image index: %v", err)
	}
	pulled, err := remote.Index(repo.Digest(om.Manifests[0].Digest.String()))
	if err != nil {
		t.Fatalf("pulling the image index by digest: %v", err)
	}
	im, err := pulled.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH {
			img, err := remote.Image(repo.Digest(m.Digest.String()))
			if err != nil {
				t.Fatalf("pulling linux/%s: %v", runtime.GOARCH, err)
			}
			return img
		}
	}
	t.Fatalf("the image index has no linux/%s image", runtime.GOARCH)
	return nil
}

// parseUser reads an image config's User when numeric ("uid" or "uid:gid"), as runAsNonRoot requires.
func parseUser(u string) (int64, *int64, error) {
	us, gs, hasGroup := strings.Cut(u, ":")
	uid, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("not a numeric user: %w", err)
	}
	if !hasGroup {
		return uid, nil, nil
	}
	gid, err := strconv.ParseInt(gs, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("not a numeric group: %w", err)
	}
	return uid, &gid, nil
}

// untar writes a flattened image filesystem under root with its modes, and its owners when
// the test runs as root (so that a path only root may read fails for the image's user).
func untar(r io.Reader, root string) error {
	tr := tar.NewReader(r)
	var dirs []*tar.Header
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		path := filepath.Join(root, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, h) // modes last: a 0700 directory must still take its files
			continue
		case tar.TypeReg:
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, path); err != nil {
				return err
			}
			continue
		case tar.TypeLink:
			if err := os.Link(filepath.Join(root, filepath.Clean("/"+h.Linkname)), path); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%s: this stand-in for a container runtime cannot lay out tar type %c", h.Name, h.Typeflag)
		}
		if err := own(path, h); err != nil {
			return err
		}
	}
	for _, h := range dirs {
		if err := own(filepath.Join(root, filepath.Clean("/"+h.Name)), h); err != nil {
			return err
		}
	}
	return nil
}

func own(path string, h *tar.Header) error {
	if os.Getuid() == 0 {
		if err := os.Lchown(path, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	return os.Chmod(path, os.FileMode(h.Mode).Perm()|stickyBit(h.Mode))
}

// stickyBit maps tar's 01000 (a /tmp) onto Go's os.ModeSticky.
func stickyBit(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

// layerFileSHA hashes path as the image's topmost layer that holds it has it.
func layerFileSHA(t *testing.T, img v1.Image, path string) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(path, "/")
	for i := len(layers) - 1; i >= 0; i-- {
		rc, err := layers[i].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.TrimPrefix(filepath.Clean("/"+h.Name), "/") == want && h.Typeflag == tar.TypeReg {
				s := sha256.New()
				if _, err := io.Copy(s, tr); err != nil {
					t.Fatal(err)
				}
				rc.Close()
				return hex.EncodeToString(s.Sum(nil))
			}
		}
		rc.Close()
	}
	t.Fatalf("no layer of the image holds %s", path)
	return ""
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(s.Sum(nil))
}

// builtImage is gate and gate-webhook built from this tree, run as bare programs: what
// replicas run without GATE_IMAGE_LAYOUT.
func builtImage(t *testing.T, dir string) *podImage {
	t.Helper()
	bin := buildGate(t, dir)
	return &podImage{entrypoint: []string{bin}, exe: bin, server: filepath.Join(dir, "gate-webhook"), workDir: "/"}
}

// buildGate builds gate and, beside it as in gate's image, gate-webhook, which gate webhook
// runs; it returns gate's path.
func buildGate(t *testing.T, dir string) string {
	t.Helper()
	for _, prog := range []string{"gate", "gate-webhook"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, prog), "./cmd/"+prog)
		build.Dir = repoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", prog, err, out)
		}
	}
	return filepath.Join(dir, "gate")
}
