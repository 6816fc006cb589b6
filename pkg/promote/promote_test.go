package promote_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/promote"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// dockerConfig points the default keychain at a temporary Docker config
// holding user:password for each fixture's registry, as `docker login` would.
func dockerConfig(t *testing.T, creds map[*admittest.Fixture][2]string) {
	t.Helper()
	dir := t.TempDir()
	auths := ""
	for f, c := range creds {
		if auths != "" {
			auths += ","
		}
		auths += fmt.Sprintf("%q: {\"auth\": %q}", f.Host, base64.StdEncoding.EncodeToString([]byte(c[0]+":"+c[1])))
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths": {`+auths+`}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	for f, c := range creds {
		f.RequireBasicAuth(c[0], c[1])
	}
}

// strangerAttests pushes an approval signed by a key the trust config does not know.
func strangerAttests(t *testing.T, c *oci.Client, ref string) {
	t.Helper()
	kp, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParseKey(kp.PrivatePEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	a := gate.Approval{Role: "module-lead", Decision: attestations.DecisionGo, Reason: "not who it says", Expires: time.Hour}
	if _, err := gate.Approve(context.Background(), c, s, ref, a, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestPromoteCopiesTheImageAndOnlyVerifiedEvidenceBothWays(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		src, dst func(testing.TB) *admittest.Fixture
		// fallback says whether dst keeps referrers under the fallback tag.
		fallback bool
	}{
		{"from a referrers registry to one without the referrers API", admittest.New, admittest.NewWithoutReferrersAPI, true},
		{"from a registry without the referrers API to a referrers registry", admittest.NewWithoutReferrersAPI, admittest.New, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			src, dst := tc.src(t), tc.dst(t)
			ref, d := src.Image(t, "build/app", "1.0")
			src.Evidence(t, ref, "module-lead")
			strangerAttests(t, src.Client, ref)
			dockerConfig(t, map[*admittest.Fixture][2]string{src: {"builder", "b-secret"}, dst: {"deployer", "d-secret"}})
			c := oci.NewClient()

			r, err := promote.Promote(context.Background(), c, src.Config, admittest.Staging, ref, dst.Host+"/prod/app:1.0", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !r.Source.Allowed || !r.Destination.Allowed {
				t.Fatalf("blessed at source %t, at destination %t; want both", r.Source.Allowed, r.Destination.Allowed)
			}
			if r.To.DigestStr() != d.DigestStr() {
				t.Errorf("copy is %s, want the digest kept: %s", r.To, d.DigestStr())
			}
			if !promote.SameEvidence(r.Source.Evidence, r.Destination.Evidence) || len(r.Copied) != len(r.Source.Evidence) {
				t.Errorf("evidence at destination %v, want the source's %v", r.Destination.Evidence, r.Source.Evidence)
			}
			if len(r.Skipped) != 1 || len(r.Destination.Rejected) != 0 {
				t.Errorf("skipped %v, rejected at destination %v: want the stranger's approval skipped and not copied", r.Skipped, r.Destination.Rejected)
			}
			// The tag came along, and resolves to the same digest.
			got, err := c.Resolve(context.Background(), dst.Host+"/prod/app:1.0")
			if err != nil || got.DigestStr() != d.DigestStr() {
				t.Errorf("prod/app:1.0 resolves to %v (%v), want %s", got, err, d.DigestStr())
			}
			// gate verify at each end, as CI or the webhook would run it, comes to the same.
			atSrc, err := gate.Verify(context.Background(), c, src.Config, admittest.Staging, ref, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			atDst, err := gate.Verify(context.Background(), c, src.Config, admittest.Staging, r.To.String(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if atDst.Allowed != atSrc.Allowed || !promote.SameEvidence(atDst.Evidence, atSrc.Evidence) || len(atDst.Evidence) == 0 {
				t.Errorf("verify at destination: allowed %t, evidence %v; at source: %t, %v", atDst.Allowed, atDst.Evidence, atSrc.Allowed, atSrc.Evidence)
			}
			_, err = remote.Head(oci.FallbackTag(r.To), remote.WithAuthFromKeychain(authn.DefaultKeychain))
			if hasTag := err == nil; hasTag != tc.fallback {
				t.Errorf("destination has the fallback tag %t, want %t (%v)", hasTag, tc.fallback, err)
			}
		})
	}
}

func TestPromoteCopiesNothingThatIsNotBlessed(t *testing.T) {
	src, dst := admittest.New(t), admittest.NewWithoutReferrersAPI(t)
	ref, d := src.Image(t, "build/app", "1.0")
	src.Evidence(t, ref) // no GO from module-lead: staging says no
	r, err := promote.Promote(context.Background(), src.Client, src.Config, admittest.Staging, ref, dst.Host+"/prod/app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.Source.Allowed || r.Destination != nil || len(r.Copied) != 0 {
		t.Fatalf("allowed %t, copied %d: want a denial and nothing copied", r.Source.Allowed, len(r.Copied))
	}
	at, err := name.NewDigest(dst.Host + "/prod/app@" + d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(at); err == nil {
		t.Error("the image is at the destination; want it not copied")
	}
}

func TestPromoteCopiesOnlyTheVerifiedLayersOfCosignsLegacyLayout(t *testing.T) {
	src, dst := admittest.NewWithoutReferrersAPI(t), admittest.New(t)
	ref, d := src.Image(t, "build/app", "1.0")
	src.Evidence(t, ref)                                  // tests and the rest as referrers; no GO
	src.ApproveLegacy(t, d, "module-lead", "module-lead") // the GO staging needs, in cosign's .att
	src.ApproveLegacy(t, d, "ci", "ci")                   // ci may not sign approvals: rejected
	r, err := promote.Promote(context.Background(), src.Client, src.Config, admittest.Staging, ref, dst.Host+"/prod/app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	legacy := 0
	for _, e := range r.Copied {
		if e.Source == oci.Legacy {
			legacy++
		}
	}
	if !r.Destination.Allowed || legacy != 1 || len(r.Skipped) != 1 || r.Skipped[0].Source != oci.Legacy {
		t.Fatalf("blessed at destination %t, %d legacy copied, skipped %v: want the GO copied and ci's layer left behind", r.Destination.Allowed, legacy, r.Skipped)
	}
	img, err := remote.Image(oci.LegacyTag(r.To))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Errorf("the destination's .att image has %d layers (%v), want only the one that verified", len(layers), err)
	}
}

func TestPromoteCopiesAnIndexWithItsImages(t *testing.T) {
	src, dst := admittest.New(t), admittest.NewWithoutReferrersAPI(t)
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(src.Host + "/build/multi:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	src.Evidence(t, tag.String(), "module-lead")
	r, err := promote.Promote(context.Background(), src.Client, src.Config, admittest.Staging, tag.String(), dst.Host+"/prod/multi:1.0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	if !r.Destination.Allowed || r.To.DigestStr() != want.String() {
		t.Fatalf("blessed at destination %t, copy %s; want blessed and the digest %s kept", r.Destination.Allowed, r.To, want)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if _, err := remote.Image(r.To.Context().Digest(m.Digest.String())); err != nil {
			t.Errorf("image %s of the index is not at the destination: %v", m.Digest, err)
		}
	}
}

func TestPromoteWithoutCredentialsForTheDestinationCouldNot(t *testing.T) {
	src, dst := admittest.New(t), admittest.New(t)
	ref, _ := src.Image(t, "build/app", "1.0")
	src.Evidence(t, ref, "module-lead")
	dockerConfig(t, map[*admittest.Fixture][2]string{src: {"builder", "b-secret"}})
	dst.RequireBasicAuth("deployer", "d-secret")
	_, err := promote.Promote(context.Background(), oci.NewClient(), src.Config, admittest.Staging, ref, dst.Host+"/prod/app:1.0", time.Now())
	if !errors.Is(err, oci.ErrUnauthorized) {
		t.Fatalf("got %v, want an error wrapping oci.ErrUnauthorized", err)
	}
	dst.RequireBasicAuth("", "")
	tag, err := name.NewTag(dst.Host + "/prod/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(tag); err == nil {
		t.Error("the destination has the tag; want nothing tagged when the copy failed")
	}
}
