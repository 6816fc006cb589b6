package admission_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	admissionv1 "k8s.io/api/admission/v1"
)

// TestTagsThatCouldNotBePinnedAreRefused: with pinning on, no image runs by tag. A registry that
// stalls for one tag makes mutation refuse it with the reason; a tag that reaches validation
// unpinned (its mutation skipped or undone) is refused without being resolved there.
func TestTagsThatCouldNotBePinnedAreRefused(t *testing.T) {
	f := admittest.New(t)
	fast, fastDigest := f.Image(t, "shop/web", "1.0")
	f.Bless(t, fast)
	stalled, stalledDigest := f.Image(t, "shop/api", "1.0")
	f.Bless(t, stalled)
	// The registry answers everything but the stalled tag, which it holds until the client gives up.
	f.Observe(func(r *http.Request) func() {
		if strings.HasSuffix(r.URL.Path, "/shop/api/manifests/1.0") {
			<-r.Context().Done()
		}
		return func() {}
	})
	cfg := strings.Replace(webhookConfig, "deadline: 3s", "deadline: 1s", 1)
	tests := []struct {
		name         string
		path         string // ValidatePath goes through MutatePath first, as in the API server
		config       string
		ns           string
		images       []string
		wantAllowed  bool
		wantMessage  []string
		wantWarnings []string
	}{
		{name: "a tag the registry stalls on is refused, with what to do", path: admission.ValidatePath, config: cfg, ns: "shop",
			images:      []string{fast, stalled},
			wantMessage: []string{stalled, "could not be pinned to a digest", "deadline exceeded", "give the image by digest"}},
		{name: "an unpinned tag reaching validation is refused", path: admission.ValidatePath + "-only", config: cfg, ns: "shop",
			images: []string{fast}, wantMessage: []string{fast, "did not pin it to a digest", "give the image by digest"}},
		{name: "warn mode admits the unpinned tag, warning", path: admission.ValidatePath, config: cfg, ns: "canary",
			images: []string{stalled}, wantAllowed: true, wantWarnings: []string{stalled, "could not be pinned", "did not pin it"}},
		{name: "digests need no pinning", path: admission.ValidatePath + "-only", config: cfg, ns: "shop",
			images: []string{fastDigest.String(), stalledDigest.String()}, wantAllowed: true},
		{name: "with pinning off, validation resolves a tag itself", path: admission.ValidatePath + "-only", config: cfg + "pinDigests: false\n", ns: "shop",
			images: []string{fast}, wantAllowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWebhook(t, f, tt.config, newCluster())
			req := request(t, admissionv1.Create, tt.ns, pod("web", podSpec(tt.images...), nil), nil)
			var resp *admissionv1.AdmissionResponse
			if path, ok := strings.CutSuffix(tt.path, "-only"); ok {
				resp = w.send(t, path, req)
			} else {
				resp = w.review(t, tt.path, req)
			}
			if resp.Allowed != tt.wantAllowed {
				t.Fatalf("allowed = %v, want %v: %s", resp.Allowed, tt.wantAllowed, resp.Result.Message)
			}
			for _, s := range tt.wantMessage {
				if !strings.Contains(resp.Result.Message, s) {
					t.Errorf("message %q does not contain %q", resp.Result.Message, s)
				}
			}
			warnings := strings.Join(resp.Warnings, "\n")
			for _, s := range tt.wantWarnings {
				if !strings.Contains(warnings, s) {
					t.Errorf("warnings %q do not contain %q", resp.Warnings, s)
				}
			}
		})
	}
}

// TestMutateResolvesTagsAtOnce: a Pod of many tags on a slow registry waits for its slowest tag,
// not for their sum, so that it is not refused for running out of deadline one tag at a time.
func TestMutateResolvesTagsAtOnce(t *testing.T) {
	f := admittest.New(t)
	var tags []string
	for i := range 8 {
		tag, _ := f.Image(t, "shop/svc"+string(rune('a'+i)), "1.0")
		tags = append(tags, tag)
	}
	f.Slow(300 * time.Millisecond) // 8 tags one by one: 2.4 s at least, past the deadline
	w := newWebhook(t, f, strings.Replace(webhookConfig, "deadline: 3s", "deadline: 2s", 1), newCluster())
	resp := w.send(t, admission.MutatePath, request(t, admissionv1.Create, "shop", pod("web", podSpec(tags...), nil), nil))
	if !resp.Allowed {
		t.Fatalf("refused: %s", resp.Result.Message)
	}
	if n := strings.Count(string(resp.Patch), `"replace"`); n != len(tags) {
		t.Errorf("%d of %d tags pinned: %s", n, len(tags), resp.Patch)
	}
}
