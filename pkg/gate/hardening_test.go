package gate

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// One junk referrer, whoever pushed it, is rejected with its reason, and a
// good image stays blessed.
func TestOneJunkReferrerDoesNotBlockAGoodImage(t *testing.T) {
	bundleMT := types.MediaType(oci.BundleMediaType)
	missing := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256([]byte("never pushed")))}
	for _, tc := range []struct {
		desc     string
		fallback bool // only where the registry has no referrers API
		junk     func(h *harness, d name.Digest)
		says     string
	}{
		{desc: "a blob over the size limit", says: "over the limit", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{"big":true}`), bundleMT)
			l.Size = oci.MaxAttestationSize + 1
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), nil)
		}},
		{desc: "a blob larger than its manifest declares", says: "not the 2 bytes", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{"larger":"than declared"}`), bundleMT)
			l.Size = 2
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), nil)
		}},
		{desc: "the annotated blob is not in the registry (BLOB_UNKNOWN)", says: "not found", junk: func(h *harness, d name.Digest) {
			l := v1.Descriptor{MediaType: bundleMT, Digest: missing, Size: 12}
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, map[string]string{oci.AnnotationBundle: missing.String()}), nil)
		}},
		{desc: "a manifest with two layers", says: "2 layers", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{}`), bundleMT)
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l, l}, attestations.ApprovalType, nil), nil)
		}},
		{desc: "an unreadable manifest", says: "unreadable", junk: func(h *harness, d name.Digest) {
			h.putReferrer(d, h.referrerManifest(d, 5, attestations.ApprovalType, nil), nil)
		}},
		{desc: "a blob that is not JSON", says: "not a JSON object", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, append([]byte("\x7fELF"), make([]byte, 64<<10)...), bundleMT)
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), nil)
		}},
		{desc: "a layer of the wrong media type", says: "not a Sigstore bundle", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{}`), "application/octet-stream")
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), nil)
		}},
		{desc: "an embedded bundle that is not the layer", says: "not its layer", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{"a":1}`), bundleMT)
			l.Data = []byte(`{"b":2}`)
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), nil)
		}},
		{desc: "a fallback entry listing a manifest over the limit", fallback: true, says: "listed as", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{}`), bundleMT)
			h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), func(e *v1.Descriptor) { e.Size = 1 << 30 })
		}},
		{desc: "a fallback entry naming a manifest since deleted", fallback: true, says: "not found", junk: func(h *harness, d name.Digest) {
			l := h.blob(d, []byte(`{}`), bundleMT)
			dg := h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, nil), nil)
			h.do(http.MethodDelete, "manifests/"+dg.String(), "", nil)
		}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			registryKinds(t, func(t *testing.T, api bool) {
				if tc.fallback && api {
					t.Skip("a referrers API lists only manifests it holds")
				}
				h := newHarness(t, api, 1)
				ref, d := h.image("1.0")
				h.blessedEvidence(ref, "module-lead", "qa", "sre")
				tc.junk(h, d)
				dec := h.verify(ref)
				r := rejected(t, dec)
				if !errors.Is(r.Err, oci.ErrUnusable) || !strings.Contains(r.Reason, tc.says) {
					t.Errorf("rejected for %q, want an unusable attestation saying %q", r.Reason, tc.says)
				}
				if !dec.Allowed {
					t.Errorf("one junk referrer blocked a blessed image: %+v", dec.Gates)
				}
			})
		})
	}
}

// A fault of the registry itself is "could not decide", never a rejection
// and never an allow.
func TestRegistryFaultsAreUndecidable(t *testing.T) {
	isAttestationManifest := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/sha256:")
	}
	isListing := func(r *http.Request) bool {
		return strings.Contains(r.URL.Path, "/referrers/") || strings.Contains(r.URL.Path, "/manifests/sha256-")
	}
	for _, tc := range []struct {
		desc  string
		fault func(r *http.Request) int
		want  error // nil: any error but ErrUnusable
	}{
		{"the registry fails on an attestation (500)", func(r *http.Request) int {
			if isAttestationManifest(r) {
				return http.StatusInternalServerError
			}
			return 0
		}, nil},
		{"the registry refuses the credentials for an attestation (403)", func(r *http.Request) int {
			if isAttestationManifest(r) {
				return http.StatusForbidden
			}
			return 0
		}, oci.ErrUnauthorized},
		{"the registry is slower than the deadline", func(r *http.Request) int {
			if isAttestationManifest(r) {
				<-r.Context().Done()
				return http.StatusServiceUnavailable
			}
			return 0
		}, oci.ErrTimeout},
		{"the listing fails (500)", func(r *http.Request) int {
			if isListing(r) {
				return http.StatusInternalServerError
			}
			return 0
		}, nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			registryKinds(t, func(t *testing.T, api bool) {
				h := newHarness(t, api, 1)
				_, d := h.image("1.0")
				h.blessedEvidence(d.String(), "module-lead", "qa", "sre")
				h.fault.Store(&tc.fault)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				dec, err := Verify(ctx, h.client, h.cfg, "", d.String(), time.Now())
				if err == nil {
					t.Fatalf("a registry fault was decided on: allowed=%v, rejected %+v", dec.Allowed, dec.Rejected)
				}
				if errors.Is(err, oci.ErrUnusable) || tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("got %v, want a registry fault (%v)", err, tc.want)
				}
			})
		})
	}
}

// A manifest whose layer is qa's NOGO while its annotation names qa's
// earlier GO is judged by its layer, as cosign judges it.
func TestTheBundleIsTheManifestsLayer(t *testing.T) {
	registryKinds(t, func(t *testing.T, api bool) {
		h := newHarness(t, api, 1)
		ref, d := h.image("1.0")
		h.blessedEvidence(ref, "module-lead", "sre")
		goBundle, _ := h.signedApproval(ref, "qa", "qa")
		if _, err := h.client.Push(context.Background(), d, goBundle, attestations.ApprovalType); err != nil {
			t.Fatal(err)
		}
		if dec := h.verify(ref); !dec.Allowed {
			t.Fatalf("setup: want blessed on qa's GO, got %+v", dec.Gates)
		}
		nogo := goApproval("qa")
		nogo.Decision = attestations.DecisionNoGo
		st, _ := attestations.Statement(d.Context().Name(), d.DigestStr(), attestations.ApprovalType, nogo)
		nogoBundle, err := h.signers["qa"].Sign(st)
		if err != nil {
			t.Fatal(err)
		}
		layer := h.blob(d, nogoBundle, oci.BundleMediaType)
		goDigest := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(goBundle))}
		h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{layer}, attestations.ApprovalType, map[string]string{oci.AnnotationBundle: goDigest.String()}), nil)
		dec := h.verify(ref)
		if dec.Allowed {
			t.Fatal("qa's NOGO was read as the GO its annotation names")
		}
		if passed, _ := gate(t, dec, "nogo"); passed {
			t.Error("the nogo gate passed: the NOGO layer was not read")
		}
	})
}

// A fallback index entry without annotations or artifact type, as other
// tools write it, is fetched and judged.
func TestUnannotatedFallbackEntryIsJudged(t *testing.T) {
	h := newHarness(t, false, 1)
	ref, d := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "sre")
	goBundle, _ := h.signedApproval(ref, "qa", "qa")
	layer := h.blob(d, goBundle, oci.BundleMediaType)
	h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{layer}, "", nil), func(e *v1.Descriptor) {
		e.Annotations, e.ArtifactType = nil, string(types.OCIEmptyJSON)
	})
	dec := h.verify(ref)
	if !dec.Allowed || len(dec.Evidence) != 7 {
		t.Fatalf("qa's GO in an unannotated entry was not read: allowed=%v, %d evidence, rejected %+v", dec.Allowed, len(dec.Evidence), dec.Rejected)
	}
}

// Statements gate's verbs write must be about one image, and their bodies
// what their type says.
func TestForgedTestEvidenceIsRejected(t *testing.T) {
	r, err := ReadReport("testdata/unit-pass.jsonl", reportOpts("unit"))
	if err != nil {
		t.Fatal(err)
	}
	coverage, err := ReadReport("testdata/go-chi.cover", reportOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc string
		// edit changes the statement, a JSON object, before ci signs it.
		edit func(st map[string]any, other name.Digest)
		want error
		says string
	}{
		{"a statement about [OTHER, V]", func(st map[string]any, other name.Digest) {
			subjects := st["subject"].([]any)
			st["subject"] = append([]any{map[string]any{"name": "other", "digest": map[string]any{"sha256": strings.TrimPrefix(other.DigestStr(), "sha256:")}}}, subjects...)
		}, verify.ErrSubjects, "exactly one"},
		{"a coverage body under the test-result type", func(st map[string]any, _ name.Digest) {
			b, _ := json.Marshal(coverage.Predicate)
			var p map[string]any
			json.Unmarshal(b, &p)
			st["predicate"] = p
		}, verify.ErrInvalidPredicate, "unknown field"},
		{`{"hello":"world"}`, func(st map[string]any, _ name.Digest) { st["predicate"] = map[string]any{"hello": "world"} }, verify.ErrInvalidPredicate, "hello"},
		{"result: 42", func(st map[string]any, _ name.Digest) { st["predicate"].(map[string]any)["result"] = 42 }, verify.ErrInvalidPredicate, "result"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, true, 1)
			ref, d := h.image("1.0")
			_, other := h.image("other")
			h.report(ref, "go-chi.cover", "")
			h.report(ref, "sl-micro-rancher5.4-no-vulns.json", "")
			h.provenance(ref)
			for _, role := range []string{"module-lead", "qa", "sre"} {
				h.approve(ref, role, role, attestations.DecisionGo, time.Now(), time.Hour)
			}
			raw, err := attestations.Statement(d.Context().Name(), d.DigestStr(), r.PredicateType, r.Predicate)
			if err != nil {
				t.Fatal(err)
			}
			var st map[string]any
			json.Unmarshal(raw, &st)
			tc.edit(st, other)
			raw, _ = json.Marshal(st)
			b, err := h.signers["ci"].Sign(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.client.Push(context.Background(), d, b, r.PredicateType); err != nil {
				t.Fatal(err)
			}
			dec := h.verify(ref)
			if passed, _ := gate(t, dec, "tests/unit"); passed || dec.Allowed {
				t.Fatalf("forged test evidence counted: tests/unit passed=%v, allowed=%v", passed, dec.Allowed)
			}
			if rj := rejected(t, dec); !errors.Is(rj.Err, tc.want) || !strings.Contains(rj.Reason, tc.says) {
				t.Errorf("rejected for %q, want %v saying %q", rj.Reason, tc.want, tc.says)
			}
		})
	}
}

// A panic while verifying one attestation is "could not decide", and the
// process lives on.
func TestPanicInAWorkerIsCouldNotDecide(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, d := h.image("1.0")
	h.blessedEvidence(ref, "qa")
	v := NewVerifier(h.client, h.cfg)
	v.check = func(*verify.Trust, oci.Attestation, []byte, string) (*verify.Evidence, error) { panic("boom") }
	g, err := v.Gather(context.Background(), d, h.cfg.Environments["test"].Policy.PredicateTypes())
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %+v, %v; want ErrPanic", g, err)
	}
}

// Registry requests per verify of a digest: ≤ 3 + the bundles the policy
// needs with the referrers API, ≤ 4 + bundles on a fallback tag (one of
// them the subject's manifest, which says whether it is an index).
func TestRequestsForADigest(t *testing.T) {
	registryKinds(t, func(t *testing.T, api bool) {
		h := newHarness(t, api, 1)
		_, d := h.image("1.0")
		h.blessedEvidence(d.String(), "module-lead", "qa", "sre")
		for i := range 3 { // of a type the policy never reads
			if _, err := Attest(context.Background(), h.client, h.signers["ci"], d.String(), "https://spdx.dev/Document", map[string]any{"n": i}); err != nil {
				t.Fatal(err)
			}
		}
		h.verify(d.String()) // warm the client's transport: one ping per process
		h.requests.Store(0)
		dec := h.verify(d.String())
		want := int64(3 + 7)
		if !api {
			want = 4 + 7
		}
		if got := h.requests.Load(); got > want {
			t.Errorf("verify made %d registry requests, want at most %d", got, want)
		}
		if !dec.Allowed || len(dec.Evidence) != 7 {
			t.Errorf("want blessed on the 7 needed attestations, got allowed=%v on %d", dec.Allowed, len(dec.Evidence))
		}
	})
}
