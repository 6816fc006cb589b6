// Package demo tells gate's whole story on a registry it runs in-process, for `gate demo`.
package demo

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/policies"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Reports are real reports from real tools; reports/SOURCES.md says whose.
//
//go:embed reports
var reports embed.FS

// roles are the demo's signers: the pipeline, and the three who must say GO.
var roles = []string{"ci", "module-lead", "qa", "sre"}

const password = "demo" // throwaway keys, thrown away with the demo's directory

// demo holds what one run set up.
type demo struct {
	w       io.Writer
	dir     string
	client  *oci.Client
	cfg     *config.Config
	signers map[string]*sign.Signer
	host    string
	step    int
	pushed  []string // every image pushed, by digest, in order
}

// Option changes how Run runs.
type Option func(*options)

type options struct{ keep bool }

// Keep leaves the registry running after the story, with the keys and the
// config on disk, until ctx is done, so a person can go on by hand.
func Keep() Option { return func(o *options) { o.keep = true } }

// Run starts a registry in-process, makes throwaway keys, and shows an image
// becoming blessed, then four ways of not being blessed. It writes only to
// w and to a temporary directory it removes.
func Run(ctx context.Context, w io.Writer, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := os.MkdirTemp("", "gate-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	d := &demo{w: w, dir: dir, client: oci.NewClient(), signers: map[string]*sign.Signer{}, host: strings.TrimPrefix(srv.URL, "http://")}
	if err := d.setUp(ctx); err != nil {
		return err
	}
	if err := d.story(ctx); err != nil || !o.keep {
		return err
	}
	d.handOver()
	<-ctx.Done()
	d.say("\nstopping the registry and removing %s", d.dir)
	return nil
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.w, format+"\n", args...) }

func (d *demo) heading(title string) {
	d.step++
	d.say("\n== %d. %s ==", d.step, title)
}

// setUp makes a key pair per role, writes the trust config and the shipped
// policy with the demo's data, and loads them as `gate verify` would.
func (d *demo) setUp(ctx context.Context) error {
	d.heading("Set-up: a registry, four roles with their keys, a trust config, the shipped policy")
	d.say("registry running in-process at %s (OCI referrers API on)", d.host)
	for _, role := range roles {
		kp, err := sign.GenerateKeyPair([]byte(password))
		if err != nil {
			return err
		}
		for ext, data := range map[string][]byte{".key": kp.PrivatePEM, ".pub": kp.PublicPEM} {
			if err := os.WriteFile(filepath.Join(d.dir, role+ext), data, 0o600); err != nil {
				return err
			}
		}
		if d.signers[role], err = sign.LoadKey(filepath.Join(d.dir, role+".key"), []byte(password)); err != nil {
			return err
		}
		d.say("key pair for %-12s (cosign format, encrypted)", role)
	}
	if err := copyFS(policies.FS, filepath.Join(d.dir, "policies")); err != nil {
		return err
	}
	files := map[string]string{"gate.yaml": trustConfig, "demo-data.json": demoData}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(d.dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	d.say("trust config: ci may sign tests, scans, coverage and provenance; module-lead, qa and sre may sign approvals")
	d.say("policy: the shipped policies/, with data requiring unit and integration tests, coverage >= 75%%,\n  no HIGH or CRITICAL vulnerability, provenance from the demo builder, and one GO each from module-lead, qa and sre")
	var err error
	d.cfg, err = config.Load(ctx, filepath.Join(d.dir, "gate.yaml"))
	return err
}

// push puts a new random image (a new digest) in the registry under tag,
// and returns its reference by tag and by digest.
func (d *demo) push(ctx context.Context, tag string) (byTag, byDigest string, err error) {
	img, err := random.Image(512, 2)
	if err != nil {
		return "", "", err
	}
	ref, err := name.NewTag(d.host + "/acme/shop:" + tag)
	if err != nil {
		return "", "", err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", "", err
	}
	digest, err := img.Digest()
	if err != nil {
		return "", "", err
	}
	d.say("pushed %s (%s)", ref, digest)
	byDigest = ref.Context().Digest(digest.String()).String()
	d.pushed = append(d.pushed, byDigest)
	return ref.String(), byDigest, nil
}

func copyFS(src fs.FS, dst string) error {
	return fs.WalkDir(src, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, path)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(src, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// attestReport is `gate attest IMAGE --report FILE [--stage S]`.
func (d *demo) attestReport(ctx context.Context, ref, file, stage string) error {
	data, err := reports.ReadFile("reports/" + file)
	if err != nil {
		return err
	}
	r, err := report.Parse(file, data, report.Options{Stage: stage})
	if err != nil {
		return err
	}
	if _, err := gate.Attest(ctx, d.client, d.signers["ci"], ref, r.PredicateType, r.Predicate); err != nil {
		return err
	}
	what := string(r.Format) + " report " + file
	if stage != "" {
		what += ", stage " + stage
	}
	d.say("  ci attests %s", what)
	return nil
}

func (d *demo) provenance(ctx context.Context, ref string) error {
	p, err := attestations.Provenance(attestations.Build{
		BuilderID: "https://ci.acme.example/builders/release", BuildType: "https://ci.acme.example/build/oci@v1",
		Source: "git+https://git.acme.example/shop", Commit: "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e",
		Started: time.Now().Add(-10 * time.Minute), Finished: time.Now().Add(-8 * time.Minute),
	})
	if err != nil {
		return err
	}
	if _, err := gate.Attest(ctx, d.client, d.signers["ci"], ref, attestations.ProvenanceType, p); err != nil {
		return err
	}
	d.say("  ci attests SLSA provenance: built by the release builder from git.acme.example/shop")
	return nil
}

func (d *demo) approve(ctx context.Context, ref, role, decision, reason string) error {
	a := gate.Approval{Role: role, Decision: decision, Reason: reason, Expires: 72 * time.Hour}
	if _, err := gate.Approve(ctx, d.client, d.signers[role], ref, a, time.Now()); err != nil {
		return err
	}
	d.say("  %s says %s: %q", role, decision, reason)
	return nil
}

// verify is `gate verify IMAGE`, printed as it prints.
func (d *demo) verify(ctx context.Context, ref string, want bool) error {
	dec, err := gate.Verify(ctx, d.client, d.cfg, "", ref, time.Now())
	if err != nil {
		return err
	}
	d.say("\n$ gate verify %s", ref)
	if err := gate.WriteText(d.w, dec); err != nil {
		return err
	}
	if dec.Allowed != want {
		return fmt.Errorf("demo: %s: blessed=%v, the story expected %v", ref, dec.Allowed, want)
	}
	return nil
}
