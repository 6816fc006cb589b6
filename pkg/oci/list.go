package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Limits on what a registry may hand back. Attestations are small; anything
// larger is refused rather than read into memory.
const (
	// MaxAttestationSize bounds one bundle or envelope: large test reports list
	// tens of thousands of test names, which stays well under this.
	MaxAttestationSize = 16 << 20
	// MaxAttestations bounds how many attestations of one digest are read;
	// the rest are rejected, not fetched.
	MaxAttestations = 1000
	// maxManifestSize bounds a referrer or legacy manifest, as registries do.
	maxManifestSize = 4 << 20
)

// Source says where an attestation was found.
type Source string

// Sources of attestations.
const (
	Referrer Source = "referrer"      // an OCI 1.1 referrer holding a Sigstore bundle
	Legacy   Source = "legacy-cosign" // a layer of cosign's sha256-<digest>.att image
)

// Attestation locates one attestation of a subject. PredicateType is what the
// registry says it is: a hint for choosing what to fetch, never evidence.
type Attestation struct {
	Source        Source
	PredicateType string
	Manifest      v1.Hash // the referrer manifest, or the legacy .att manifest
	// ManifestSize is the referrer manifest's size as the listing declares it.
	ManifestSize int64
	// Blob and Size are the envelope's layer in cosign's legacy layout, whose
	// manifest List has read. For a referrer they are zero: what counts is the
	// layer of the referrer manifest, which Locate reads.
	Blob v1.Hash
	Size int64
	// Created is when the writer says it wrote the attestation (RFC 3339,
	// from the listing's annotations), for reading the newest first; a hint.
	Created string
	// CreatedAt is Created read once; zero when it is absent or unreadable.
	CreatedAt time.Time
}

// List returns the attestations stored for subject, from its referrers and
// from cosign's legacy .att tag, looking at both at once.
func (c *Client) List(ctx context.Context, subject name.Digest) ([]Attestation, error) {
	return c.list(ctx, subject, true)
}

// ListReferrers returns the attestations stored as referrers of subject
// only, without looking for cosign's legacy .att tag: one request fewer.
func (c *Client) ListReferrers(ctx context.Context, subject name.Digest) ([]Attestation, error) {
	return c.list(ctx, subject, false)
}

// list does not bound how many attestations it returns: refusing to read a
// subject with too many would let anyone who can push a referrer make every
// decision about it impossible. The caller reads those it needs first and
// rejects the rest (MaxAttestations).
func (c *Client) list(ctx context.Context, subject name.Digest, withLegacy bool) ([]Attestation, error) {
	var refs, legacy []Attestation
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { refs, err = c.referrers(gctx, subject); return err })
	if withLegacy {
		g.Go(func() (err error) { legacy, err = c.legacy(gctx, subject); return err })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return append(refs, legacy...), nil
}

func (c *Client) referrers(ctx context.Context, subject name.Digest) ([]Attestation, error) {
	idx, err := remote.Referrers(subject, c.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subject, classify(err))
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading referrers of %s: %w", subject, err)
	}
	var out []Attestation
	for _, d := range im.Manifests {
		_, annotated := d.Annotations[AnnotationPredicateType]
		if !annotated && !mayBeBundle(d.ArtifactType) {
			continue // an SBOM, a signature, anything that says it is something else
		}
		created := d.Annotations[annotationCreated]
		at, _ := time.Parse(time.RFC3339Nano, created)
		out = append(out, Attestation{Source: Referrer, PredicateType: d.Annotations[AnnotationPredicateType], Manifest: d.Digest, ManifestSize: d.Size, Created: created, CreatedAt: at})
	}
	return out, nil
}

// mayBeBundle says whether a referrer whose listing entry declares
// artifactType could hold a Sigstore bundle. An entry that declares nothing,
// or only the empty config (as go-containerregistry v0.20's fallback writer
// lists any manifest), could be anything, and is fetched to be judged.
func mayBeBundle(artifactType string) bool {
	return artifactType == "" || artifactType == string(types.OCIEmptyJSON) || strings.HasPrefix(artifactType, bundleMediaTypePrefix)
}

// LegacyTag is the tag under which cosign's legacy layout keeps attestations of d.
func LegacyTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".att")
}

func (c *Client) legacy(ctx context.Context, subject name.Digest) ([]Attestation, error) {
	desc, err := remote.Get(LegacyTag(subject), c.remote(ctx)...)
	if err != nil {
		if err = classify(err); isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading cosign attestations of %s: %w", subject, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, fmt.Errorf("reading cosign attestations of %s: %w", subject, err)
	}
	var out []Attestation
	for _, l := range m.Layers {
		if l.MediaType != DSSEMediaType {
			continue
		}
		out = append(out, Attestation{Source: Legacy, PredicateType: l.Annotations[legacyPredicateType], Manifest: desc.Digest, Blob: l.Digest, Size: l.Size})
	}
	return out, nil
}
