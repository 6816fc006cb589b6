package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations on an attestation's manifest. The registry copies a manifest's
// annotations into the referrers listing, so a verifier can choose what to
// fetch without fetching it. They are hints: what counts is the signed statement.
const (
	// AnnotationPredicateType and AnnotationContent are the ones cosign writes.
	AnnotationPredicateType = "dev.sigstore.bundle.predicateType"
	AnnotationContent       = "dev.sigstore.bundle.content"
	// AnnotationBundle names the bundle's blob. gate writes it for its
	// earlier versions, which read it; gate no longer does: it verifies the manifest's layer (see Locate).
	AnnotationBundle  = "dev.gatehq.bundle.digest"
	annotationCreated = "org.opencontainers.image.created"
	// legacyPredicateType is the layer annotation of cosign's legacy .att layout.
	legacyPredicateType = "predicateType"
)

// Media types of attestations.
const (
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// DSSEMediaType is the layer media type of cosign's legacy .att layout.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// bundleMediaTypePrefix begins every Sigstore bundle version's media type.
	bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"
)

// maxEmbeddedBundle bounds a bundle Push also embeds in its manifest (the
// layer descriptor's data, OCI 1.1), so that a verifier reads manifest and
// bundle in one request. Base64 makes it a third larger: a 1 MiB bundle
// makes a manifest of about 1.4 MiB, well within the 4 MiB that registries
// accept (distribution's default limit, which the OCI distribution spec
// asks registries to allow at least). Larger bundles, test reports listing
// tens of thousands of tests, cost a verifier a second request.
const maxEmbeddedBundle = 1 << 20

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        v1.Descriptor     `json:"config"`
	Layers        []v1.Descriptor   `json:"layers"`
	Subject       *v1.Descriptor    `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// Push stores bundle as an OCI 1.1 referrer of subject, annotated with its
// predicate type, and returns the referrer's manifest digest. Where the
// registry has no referrers API, Push keeps the OCI fallback tag index
// itself, so that no concurrent writer can lose its entry (see fallback.go).
func (c *Client) Push(ctx context.Context, subject name.Digest, bundle []byte, predicateType string) (v1.Hash, error) {
	return c.PushAt(ctx, subject, bundle, predicateType, time.Now())
}

// PushAt is Push, annotating the referrer as created at created: the time
// signed inside the bundle, where readers rely on the annotation to read the
// newest first (pkg/freeze).
func (c *Client) PushAt(ctx context.Context, subject name.Digest, bundle []byte, predicateType string, created time.Time) (v1.Hash, error) {
	opts := c.push(ctx)
	sdesc, err := remote.Head(subject, c.remote(ctx)...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading subject %s: %w", subject, classify(err))
	}
	config := static.NewLayer([]byte("{}"), types.OCIEmptyJSON)
	layer := static.NewLayer(bundle, BundleMediaType)
	var descs [2]v1.Descriptor
	for i, l := range []v1.Layer{config, layer} {
		if err := remote.WriteLayer(subject.Context(), l, opts...); err != nil {
			return v1.Hash{}, fmt.Errorf("uploading bundle to %s: %w", subject.Context(), classify(err))
		}
		d, _ := l.Digest()
		sz, _ := l.Size()
		mt, _ := l.MediaType()
		descs[i] = v1.Descriptor{MediaType: mt, Digest: d, Size: sz}
	}
	// The blob is uploaded all the same: cosign and other readers fetch it.
	if len(bundle) <= maxEmbeddedBundle {
		descs[1].Data = bundle
	}
	raw, err := json.Marshal(manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        descs[0],
		Layers:        descs[1:],
		Subject:       &v1.Descriptor{MediaType: sdesc.MediaType, Digest: sdesc.Digest, Size: sdesc.Size},
		Annotations: map[string]string{
			AnnotationPredicateType: predicateType,
			AnnotationContent:       "dsse-envelope",
			AnnotationBundle:        descs[1].Digest.String(),
			annotationCreated:       created.UTC().Format(time.RFC3339Nano),
		},
	})
	if err != nil {
		return v1.Hash{}, err
	}
	return c.putReferrer(ctx, subject, raw)
}

// putReferrer stores raw, a referrer manifest of subject, by its digest
// where the registry keeps referrers lists, and under the fallback tag
// scheme where it does not, and returns its digest.
func (c *Client) putReferrer(ctx context.Context, subject name.Digest, raw []byte) (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return v1.Hash{}, err
	}
	sess, err := c.session(ctx, subject.Context(), true)
	if err != nil {
		return v1.Hash{}, err
	}
	api, err := sess.hasReferrersAPI(ctx, subject)
	if err != nil {
		return v1.Hash{}, err
	}
	if !api {
		return h, c.pushFallback(ctx, sess, subject, h, raw)
	}
	if err := sess.putManifest(ctx, h.String(), types.OCIManifestSchema1, raw); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing attestation to %s: %w", subject.Context(), err)
	}
	return h, nil
}
