package gate

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestVerifyResolvedSavesTheManifestRead checks that a caller that resolved
// a tag itself, and so knows the manifest's media type, pays for no request
// to read the manifest again: listing, legacy look and the 7 bundles, one
// request fewer than a digest named alone (TestRequestsForADigest).
func TestVerifyResolvedSavesTheManifestRead(t *testing.T) {
	registryKinds(t, func(t *testing.T, api bool) {
		h := newHarness(t, api, 1)
		ref, _ := h.image("1.0")
		h.blessedEvidence(ref, "module-lead", "qa", "sre")
		ctx := context.Background()
		d, kind, err := h.client.ResolveKind(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		h.verify(d.String()) // warm the client's transport: one ping per process
		h.requests.Store(0)
		dec, err := VerifyResolved(ctx, h.client, h.cfg, "", d, kind, ref, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(2 + 7)
		if !api {
			want = 3 + 7
		}
		if got := h.requests.Load(); got != want {
			t.Errorf("VerifyResolved made %d registry requests, want %d", got, want)
		}
		if !dec.Allowed || len(dec.Evidence) != 7 || dec.Image != ref {
			t.Errorf("want %s blessed on 7 attestations, got allowed=%v on %d as %q", ref, dec.Allowed, len(dec.Evidence), dec.Image)
		}
	})
}

// TestVerifyResolvedIndexStillReadsItsPlatforms checks that knowing the
// kind saves nothing an index needs: told "index", gate still reads the
// index's platforms and decides each, so evidence that misses one platform
// does not bless it.
func TestVerifyResolvedIndexStillReadsItsPlatforms(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _, amd64, _ := h.index("1.0")
	h.blessedEvidence(amd64.String(), "module-lead", "qa", "sre") // arm64 carries none
	ctx := context.Background()
	d, kind, err := h.client.ResolveKind(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !kind.IsIndex() {
		t.Fatalf("the tag's HEAD said %q, want an index", kind)
	}
	for _, k := range []types.MediaType{kind, ""} {
		dec, err := VerifyResolved(ctx, h.client, h.cfg, "", d, k, ref, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed {
			t.Errorf("kind %q: an index one of whose platforms carries no evidence was blessed", k)
		}
	}
}
