package gate

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// index pushes a real two-platform image index (linux/amd64, linux/arm64)
// and returns its tag reference and the digests of the index and of each
// platform manifest.
func (h *harness) index(tag string) (ref string, index name.Digest, amd64, arm64 name.Digest) {
	h.t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(256, 1)
		if err != nil {
			h.t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	t, err := name.NewTag(h.host + "/team/app:" + tag)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.WriteIndex(t, idx); err != nil {
		h.t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		h.t.Fatal(err)
	}
	d, _ := idx.Digest()
	return t.String(), t.Context().Digest(d.String()), t.Context().Digest(m.Manifests[0].Digest.String()), t.Context().Digest(m.Manifests[1].Digest.String())
}

func TestMultiArch(t *testing.T) {
	for _, api := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "fallback tags"}[api], func(t *testing.T) {
			t.Run("evidence on the index covers its platforms when the index is named", func(t *testing.T) {
				h := newHarness(t, api, 1)
				ref, index, amd64, _ := h.index("1.0")
				h.blessedEvidence(index.String(), "module-lead", "qa", "sre")
				for _, r := range []string{ref, index.String()} {
					if d := h.verify(r); !d.Allowed {
						t.Fatalf("%s: evidence on the index: want blessed, got %+v", r, d.Gates)
					}
				}
				if d := h.verify(amd64.String()); d.Allowed {
					t.Error("a platform digest named alone was blessed by its index's evidence, which gate cannot find from the platform")
				}
			})
			t.Run("evidence on every platform blesses the index and each platform", func(t *testing.T) {
				h := newHarness(t, api, 1)
				ref, _, amd64, arm64 := h.index("1.0")
				h.blessedEvidence(amd64.String(), "module-lead", "qa", "sre")
				h.blessedEvidence(arm64.String(), "module-lead", "qa", "sre")
				for _, r := range []string{ref, amd64.String(), arm64.String()} {
					if d := h.verify(r); !d.Allowed {
						t.Fatalf("%s: want blessed, got %+v", r, d.Gates)
					}
				}
				passed, reason := gate(t, h.verify(ref), "vulnerabilities")
				if !passed || !strings.Contains(reason, "on each of 2 platforms") {
					t.Errorf("vulnerabilities on the index: passed=%v reason=%q; want passed on each platform", passed, reason)
				}
			})
			t.Run("evidence on one platform only does not bless the index", func(t *testing.T) {
				h := newHarness(t, api, 1)
				ref, index, amd64, _ := h.index("1.0")
				h.evidenceButScan(index.String())
				h.report(amd64.String(), "sl-micro-rancher5.4-no-vulns.json", "")
				d := h.verify(ref)
				if d.Allowed {
					t.Fatal("a scan of linux/amd64 alone blessed the two-platform index")
				}
				passed, reason := gate(t, d, "vulnerabilities")
				if passed || !strings.Contains(reason, "linux/arm64: no vulnerability scan") || strings.Contains(reason, "linux/amd64") {
					t.Errorf("vulnerabilities: passed=%v reason=%q; want failed on linux/arm64 alone", passed, reason)
				}
				if d := h.verify(amd64.String()); d.Allowed {
					t.Error("linux/amd64 named alone was blessed with only its scan")
				}
			})
		})
	}
}
