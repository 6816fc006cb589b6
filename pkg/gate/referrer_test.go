package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Writing referrers as other tools (or an attacker) would: raw manifests put
// by digest, and, where the registry has no referrers API, fallback index
// entries written by hand.

// blob uploads content to d's repository and returns its descriptor.
func (h *harness) blob(d name.Digest, content []byte, mt types.MediaType) v1.Descriptor {
	h.t.Helper()
	l := static.NewLayer(content, mt)
	if err := remote.WriteLayer(d.Context(), l); err != nil {
		h.t.Fatal(err)
	}
	dg, _ := l.Digest()
	return v1.Descriptor{MediaType: mt, Digest: dg, Size: int64(len(content))}
}

// referrerManifest is a referrer of d holding layers, annotated with
// predicateType (none if "") and extra annotations.
func (h *harness) referrerManifest(d name.Digest, layers any, predicateType string, extra map[string]string) []byte {
	h.t.Helper()
	sub, err := remote.Head(d)
	if err != nil {
		h.t.Fatal(err)
	}
	config := h.blob(d, []byte("{}"), types.OCIEmptyJSON)
	ann := map[string]string{}
	if predicateType != "" {
		ann[oci.AnnotationPredicateType] = predicateType
	}
	for k, v := range extra {
		ann[k] = v
	}
	raw, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": types.OCIManifestSchema1, "artifactType": oci.BundleMediaType,
		"config": config, "layers": layers, "annotations": ann,
		"subject": v1.Descriptor{MediaType: sub.MediaType, Digest: sub.Digest, Size: sub.Size},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return raw
}

// putReferrer stores raw by its digest and, on a registry without the
// referrers API, adds entry (its descriptor, as edit leaves it) to d's
// fallback index. It returns raw's digest.
func (h *harness) putReferrer(d name.Digest, raw []byte, edit func(*v1.Descriptor)) v1.Hash {
	h.t.Helper()
	dg, size, _ := v1.SHA256(bytes.NewReader(raw))
	h.put("manifests/"+dg.String(), types.OCIManifestSchema1, raw)
	if h.referrersAPI {
		return dg
	}
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	json.Unmarshal(raw, &m)
	entry := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: dg, Size: size, ArtifactType: oci.BundleMediaType, Annotations: m.Annotations}
	if edit != nil {
		edit(&entry)
	}
	h.addFallbackEntry(d, entry)
	return dg
}

func (h *harness) addFallbackEntry(d name.Digest, entry v1.Descriptor) {
	h.t.Helper()
	tag := oci.FallbackTag(d).TagStr()
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	req, _ := http.NewRequest(http.MethodGet, "http://"+h.host+"/v2/team/app/manifests/"+tag, nil)
	req.Header.Set("Accept", string(types.OCIImageIndex))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		if resp.StatusCode == http.StatusOK {
			json.NewDecoder(resp.Body).Decode(&idx)
		}
		resp.Body.Close()
	}
	idx.Manifests = append(idx.Manifests, entry)
	raw, _ := json.Marshal(idx)
	h.put("manifests/"+tag, types.OCIImageIndex, raw)
}

func (h *harness) put(path string, mt types.MediaType, raw []byte) {
	h.t.Helper()
	h.do(http.MethodPut, path, mt, raw)
}

func (h *harness) do(method, path string, mt types.MediaType, raw []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(method, "http://"+h.host+"/v2/team/app/"+path, bytes.NewReader(raw))
	if mt != "" {
		req.Header.Set("Content-Type", string(mt))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
}

// digestOf resolves ref, failing the test if it cannot.
func (h *harness) digestOf(ref string) name.Digest {
	h.t.Helper()
	d, err := h.client.Resolve(context.Background(), ref)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// registryKinds runs f on a registry with the referrers API and on one without.
func registryKinds(t *testing.T, f func(t *testing.T, referrersAPI bool)) {
	for _, api := range []bool{true, false} {
		desc := "with the referrers API"
		if !api {
			desc = "fallback tag"
		}
		t.Run(desc, func(t *testing.T) { f(t, api) })
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
