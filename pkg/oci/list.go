package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
)

// Limits on what a registry may hand back. Attestations are small; anything
// larger is refused rather than read into memory.
const (
	// MaxAttestationSize bounds one bundle or envelope: large test reports list
	// tens of thousands of test names, which stays well under this.
	MaxAttestationSize = 16 << 20
	// MaxAttestations bounds how many attestations of one digest are considered.
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
	Blob          v1.Hash // the bundle or envelope; zero if only its manifest knows it
}

// List returns the attestations stored for subject, from its referrers and
// from cosign's legacy .att tag, looking at both at once.
func (c *Client) List(ctx context.Context, subject name.Digest) ([]Attestation, error) {
	var refs, legacy []Attestation
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { refs, err = c.referrers(gctx, subject); return err })
	g.Go(func() (err error) { legacy, err = c.legacy(gctx, subject); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	all := append(refs, legacy...)
	if len(all) > MaxAttestations {
		return nil, fmt.Errorf("%s has %d attestations, more than the %d gate reads", subject, len(all), MaxAttestations)
	}
	return all, nil
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
		if !annotated && !strings.HasPrefix(d.ArtifactType, "application/vnd.dev.sigstore.bundle") {
			continue // an SBOM, a signature, anything else that refers to the image
		}
		a := Attestation{Source: Referrer, PredicateType: d.Annotations[AnnotationPredicateType], Manifest: d.Digest}
		if b, err := v1.NewHash(d.Annotations[AnnotationBundle]); err == nil {
			a.Blob = b
		}
		out = append(out, a)
	}
	return out, nil
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
		out = append(out, Attestation{Source: Legacy, PredicateType: l.Annotations[legacyPredicateType], Manifest: desc.Digest, Blob: l.Digest})
	}
	return out, nil
}

// Fetch returns the bundle (or, for the legacy layout, the DSSE envelope) a
// locates. Its content is checked against its digest as it is read.
func (c *Client) Fetch(ctx context.Context, subject name.Digest, a Attestation) ([]byte, error) {
	repo := subject.Context()
	blob := a.Blob
	if blob == (v1.Hash{}) {
		desc, err := remote.Get(repo.Digest(a.Manifest.String()), c.remote(ctx)...)
		if err != nil {
			return nil, fmt.Errorf("fetching attestation manifest %s: %w", a.Manifest, classify(err))
		}
		if len(desc.Manifest) > maxManifestSize {
			return nil, fmt.Errorf("attestation manifest %s is larger than %d bytes", a.Manifest, maxManifestSize)
		}
		var m v1.Manifest
		if err := json.Unmarshal(desc.Manifest, &m); err != nil {
			return nil, fmt.Errorf("reading attestation manifest %s: %w", a.Manifest, err)
		}
		if len(m.Layers) != 1 {
			return nil, fmt.Errorf("attestation manifest %s has %d layers, want one bundle", a.Manifest, len(m.Layers))
		}
		blob = m.Layers[0].Digest
	}
	l, err := remote.Layer(repo.Digest(blob.String()), c.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching attestation %s: %w", blob, classify(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetching attestation %s: %w", blob, classify(err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxAttestationSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading attestation %s: %w", blob, classify(err))
	}
	if len(b) > MaxAttestationSize {
		return nil, fmt.Errorf("attestation %s is larger than %d bytes", blob, MaxAttestationSize)
	}
	return b, nil
}
