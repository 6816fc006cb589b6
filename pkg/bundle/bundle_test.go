package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
)

// A bundle pushed and signed by the policy owner decides as the directory it
// was packed from, and every decision names the bundle's digest.
func TestPushedBundleDecides(t *testing.T) {
	ctx := context.Background()
	f := admittest.New(t)
	d := f.PushPolicy(t, "policy", "prod", admittest.Production)
	cfg, err := f.LoadBundleConfig(ctx, f.BundleConfig(t, "oci://"+f.Host+"/policy:prod", ""))
	if err != nil {
		t.Fatal(err)
	}
	e, err := cfg.Environment(admittest.Production)
	if err != nil {
		t.Fatal(err)
	}
	if want := "oci://" + d.String(); e.Policy.Version() != want {
		t.Errorf("policy version %q, want the bundle %q", e.Policy.Version(), want)
	}
	if e.Bundle == nil || e.Bundle.Pinned {
		t.Errorf("bundle %+v, want a followed tag", e.Bundle)
	}
	blessed, _ := f.Image(t, "app", "blessed")
	f.Bless(t, blessed)
	unapproved, _ := f.Image(t, "app", "unapproved")
	f.Evidence(t, unapproved, "module-lead")
	for ref, want := range map[string]bool{blessed: true, unapproved: false} {
		dec, err := gate.Verify(ctx, f.Client, cfg, "", ref, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != want {
			t.Errorf("%s: allowed %v, want %v: %+v", ref, dec.Allowed, want, dec.Gates)
		}
		if dec.PolicyVersion != "oci://"+d.String() {
			t.Errorf("%s: decision names policy %q, not the bundle %s", ref, dec.PolicyVersion, d)
		}
	}
}

// Bundles gate must refuse to decide with: each names what to do.
func TestBundleRefused(t *testing.T) {
	ctx := context.Background()
	f := admittest.New(t)
	for _, tc := range []struct {
		desc string
		push func(t *testing.T) string // returns the policy reference
		want string
	}{
		{"unsigned", func(t *testing.T) string {
			layer, _, err := bundle.Pack(f.Dir+"/policies", f.Dir+"/production.json")
			if err != nil {
				t.Fatal(err)
			}
			pushLayer(t, f, "policy:unsigned", layer)
			return "policy:unsigned"
		}, "no signature"},
		{"signed by a role that may not sign policies", func(t *testing.T) string {
			f.PushPolicyAs(t, "ci", "policy", "by-ci", admittest.Production)
			return "policy:by-ci"
		}, "maySign"},
		{"a file changed after signing, pushed under the signed tag", func(t *testing.T) string {
			d := f.PushPolicy(t, "policy", "tampered", admittest.Production)
			layer, err := f.Client.ReadArtifactLayer(ctx, d, bundle.ConfigMediaType, bundle.LayerMediaType, bundle.MaxLayerSize)
			if err != nil {
				t.Fatal(err)
			}
			// The tampered policy would admit what no gate decides on.
			pushLayer(t, f, "policy:tampered", tamper(t, layer, "/blessed.rego", func(src string) string {
				return strings.Replace(src, "default allowed := false", "default allowed := true", 1)
			}))
			return "policy:tampered"
		}, "gate policy push"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ref := tc.push(t)
			cfg, err := f.LoadBundleConfig(ctx, f.BundleConfig(t, "oci://"+f.Host+"/"+ref, ""))
			if err == nil {
				e, _ := cfg.Environment(admittest.Production)
				t.Fatalf("loaded, deciding with %s; want the bundle refused", e.Policy.Version())
			}
			if !errors.Is(err, bundle.ErrUnsigned) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %v saying %q", err, bundle.ErrUnsigned, tc.want)
			}
		})
	}
}

// A pinned digest is what decides, wherever its tag moves next.
func TestPinnedDigestHonoured(t *testing.T) {
	ctx := context.Background()
	f := admittest.New(t)
	d1 := f.PushPolicy(t, "policy", "prod", admittest.Production)
	d2 := f.PushPolicy(t, "policy", "prod", admittest.Staging)
	if d1 == d2 {
		t.Fatal("both bundles have one digest")
	}
	cfg, err := f.LoadBundleConfig(ctx, f.BundleConfig(t, "oci://"+d1.String(), ""))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := cfg.Environment(admittest.Production)
	if e.Policy.Version() != "oci://"+d1.String() || !e.Bundle.Pinned {
		t.Errorf("deciding with %s (pinned %v), want the pinned %s", e.Policy.Version(), e.Bundle.Pinned, d1)
	}
}

// A bundle carries its data: a data file beside it is a config error naming the field.
func TestBundleWithDataRefused(t *testing.T) {
	f := admittest.New(t)
	_, err := f.LoadBundleConfig(context.Background(), f.BundleConfig(t, "oci://"+f.Host+"/policy:prod", "data: production.json"))
	if err == nil || !strings.Contains(err.Error(), "environments.production.data") {
		t.Errorf("error %v, want one naming environments.production.data", err)
	}
}

func pushLayer(t *testing.T, f *admittest.Fixture, ref string, layer []byte) name.Digest {
	t.Helper()
	tag, err := name.NewTag(f.Host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Client.PushArtifact(context.Background(), tag, oci.Artifact{ConfigType: bundle.ConfigMediaType, Config: []byte("{}"), LayerType: bundle.LayerMediaType, Layer: layer})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tamper rewrites the file at path in the tar.gz layer with edit, failing
// the test if the edit changes nothing.
func tamper(t *testing.T, layer []byte, path string, edit func(string) string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(layer))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	changed := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == path {
			nb := []byte(edit(string(b)))
			changed = !bytes.Equal(nb, b)
			b, h.Size = nb, int64(len(nb))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if !changed {
		t.Fatalf("tampering changed nothing in %s", path)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
