package admit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/google/go-containerregistry/pkg/name"
)

// fastPathOrNot runs fn on a fixture without a fast path and on one with it: the Checker
// verifies through gate.VerifyResolved in the first, gate.VerifyFast in the second.
func fastPathOrNot(t *testing.T, fn func(t *testing.T, f *admittest.Fixture)) {
	for _, fast := range []bool{false, true} {
		t.Run(map[bool]string{false: "full", true: "fast path"}[fast], func(t *testing.T) {
			f := admittest.New(t)
			if fast {
				f.WithFastPath(t, time.Hour)
			}
			fn(t, f)
		})
	}
}

// manifestRead is the request that reads d's manifest to tell an index from an image.
func manifestRead(d name.Digest) string {
	return "GET /v2/" + d.Context().RepositoryStr() + "/manifests/" + d.DigestStr()
}

// TestCheckKnowsTheKindOfADigestItResolvedOrVerified checks that a Checker reads a digest's
// manifest (to tell an index from an image) at most once in its life: not at all when it
// resolved a tag to the digest (the HEAD told the media type), and once when the digest came
// pinned. A verification that knows the kind makes one request fewer than one that does not.
func TestCheckKnowsTheKindOfADigestItResolvedOrVerified(t *testing.T) {
	fastPathOrNot(t, func(t *testing.T, f *admittest.Fixture) {
		tag, d := f.Image(t, "shop/web", "1.0")
		f.Bless(t, tag)
		pinnedRef := tag + "@" + d.DigestStr() // as gate's mutating webhook pins a tag
		// check returns the requests a check of image made (but the ping), failing unless it
		// was verified and blessed. The checkers keep no decision: each check verifies.
		check := func(c *admit.Checker, image string) []string {
			t.Helper()
			seen := requests(f)
			before := c.Verifications()
			if r := checkOne(t, c, f, admittest.Production, image); !r.Allowed() {
				t.Fatalf("%s: %s (%v)", image, r.Explain(), r.Err)
			}
			if c.Verifications() != before+1 {
				t.Fatalf("%s was not verified: the test measures nothing", image)
			}
			return slices.DeleteFunc(seen(), func(p string) bool { return p == "GET /v2/" })
		}
		read := manifestRead(d)

		cold := newChecker(t, f, admit.WithTTL(0, 0))
		unknown := check(cold, pinnedRef)
		if !slices.Contains(unknown, read) {
			t.Fatalf("a digest never seen was verified without reading its manifest (%q): requests %q", read, unknown)
		}
		learned := check(cold, pinnedRef)
		if slices.Contains(learned, read) || len(learned) != len(unknown)-1 {
			t.Errorf("verified again, the digest cost %d requests (%q), want %d and no manifest read", len(learned), learned, len(unknown)-1)
		}

		warm := newChecker(t, f, admit.WithTTL(0, 0))
		byTag := check(warm, tag)
		if slices.Contains(byTag, read) || len(byTag) != len(unknown) {
			t.Errorf("a tag cost %d requests (%q), want %d: its HEAD and the verification, no manifest read", len(byTag), byTag, len(unknown))
		}
		pinned := check(warm, pinnedRef)
		if slices.Contains(pinned, read) || len(pinned) != len(unknown)-1 {
			t.Errorf("the digest a tag resolved to, pinned, cost %d requests (%q), want %d and no manifest read", len(pinned), pinned, len(unknown)-1)
		}
	})
}

// TestCheckDecidesAnIndexNamedByTagPlatformByPlatform checks that the media type a tag's
// HEAD tells saves nothing an index needs: its platforms are still read and decided, so a
// NOGO attached to one platform denies the index.
func TestCheckDecidesAnIndexNamedByTagPlatformByPlatform(t *testing.T) {
	fastPathOrNot(t, func(t *testing.T, f *admittest.Fixture) {
		index, amd64 := pushIndex(t, f, "1.0")
		tag := index.Context().Tag("1.0").String()
		f.Bless(t, index.String())
		if r := checkOne(t, newChecker(t, f), f, admittest.Production, tag); !r.Allowed() {
			t.Fatalf("the blessed index: %s (%v)", r.Explain(), r.Err)
		}
		f.Approve(t, amd64.String(), "sre", attestations.DecisionNoGo)
		for _, image := range []string{tag, tag + "@" + index.DigestStr()} {
			c := newChecker(t, f)
			// Resolving the tag tells the checker "index", as the mutating webhook's does.
			if _, err := c.Resolve(context.Background(), admit.Client(f.Client), tag); err != nil {
				t.Fatal(err)
			}
			seen := requests(f)
			r := checkOne(t, c, f, admittest.Production, image)
			if r.Allowed() || !strings.Contains(r.Explain(), "NOGO") {
				t.Errorf("%s, a platform of which carries a NOGO: allowed=%v, %s", image, r.Allowed(), r.Explain())
			}
			if !slices.Contains(seen(), manifestRead(index)) {
				t.Errorf("%s: the index's manifest was never read, so its platforms were not", image)
			}
		}
	})
}
