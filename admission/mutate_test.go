package admission_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// patchedImages returns every image of obj after patch, in the order of its pod spec's lists.
func patchedImages(t *testing.T, obj runtime.Object, patch []byte) []string {
	t.Helper()
	raw := mustJSON(t, obj)
	if len(patch) > 0 {
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			t.Fatalf("decoding the patch: %v", err)
		}
		if raw, err = p.Apply(raw); err != nil {
			t.Fatalf("applying the patch %s: %v", patch, err)
		}
	}
	// Every kind's pod spec, found the way the API server would after applying the patch.
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range []string{"initContainers", "containers", "ephemeralContainers"} {
				if cs, ok := v[k].([]any); ok {
					for _, c := range cs {
						out = append(out, c.(map[string]any)["image"].(string))
					}
				}
			}
			for k, c := range v {
				if k != "initContainers" && k != "containers" && k != "ephemeralContainers" {
					walk(c)
				}
			}
		}
	}
	walk(doc)
	return out
}

func TestMutatePinsTagsToDigests(t *testing.T) {
	f := admittest.New(t)
	tag, digest := f.Image(t, "shop/web", "1.0")
	pinned := tag + "@" + digest.DigestStr()
	mixed := podSpec(tag, digest.String())
	mixed.InitContainers = []corev1.Container{{Name: "init", Image: tag}}

	tests := []struct {
		name   string
		config string
		ns     string
		obj    runtime.Object
		want   []string
	}{
		{"a pod's tag is pinned to its digest", webhookConfig, "shop", pod("web", podSpec(tag), nil), []string{pinned}},
		{"init containers are pinned, digests left alone", webhookConfig, "shop", pod("web", mixed, nil), []string{pinned, pinned, digest.String()}},
		{"pinning can be turned off", webhookConfig + "pinDigests: false\n", "shop", pod("web", podSpec(tag), nil), []string{tag}},
		{"a namespace that does not opt in is not pinned", webhookConfig, "other", pod("web", podSpec(tag), nil), []string{tag}},
	}
	for _, obj := range workloads(podSpec(tag)) {
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		tests = append(tests, struct {
			name   string
			config string
			ns     string
			obj    runtime.Object
			want   []string
		}{"a " + kind + "'s pod template is pinned", webhookConfig, "shop", obj, []string{pinned}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWebhook(t, f, tt.config, newCluster())
			resp := w.review(t, admission.MutatePath, request(t, admissionv1.Create, tt.ns, tt.obj, nil))
			if !resp.Allowed {
				t.Fatalf("mutation refused: %s", resp.Result.Message)
			}
			if len(resp.Patch) > 0 && (resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch) {
				t.Errorf("patch type %v, want JSONPatch", resp.PatchType)
			}
			if got := patchedImages(t, tt.obj, resp.Patch); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("images after the patch:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
