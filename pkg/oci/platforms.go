package oci

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// MaxPlatforms bounds the platform manifests of one index gate decides
// over: each is gathered and decided, so the bound caps one verify's work
// at MaxPlatforms+1 gathers. Multi-arch images ship a handful of platforms
// (Docker's official images list at most eight); an index past the bound is
// refused as undecidable rather than decided on some of its platforms.
const MaxPlatforms = 16

// buildxReferenceType marks the manifests buildx puts in an index to carry
// its own attestations: they are no platform anyone runs.
const buildxReferenceType = "vnd.docker.reference.type"

// Platform is one manifest an image index lists for a platform.
type Platform struct {
	Digest name.Digest
	// Name is os/architecture[/variant], or the digest when the index says no platform.
	Name string
}

// Platforms returns the platform manifests of the index d names, in the
// index's order, or none when d names anything else (an image, a chart).
func (c *Client) Platforms(ctx context.Context, d name.Digest) ([]Platform, error) {
	plats, _, err := c.PlatformsKind(ctx, d)
	return plats, err
}

// PlatformsKind is Platforms that also returns the media type of d's
// manifest, which the same read tells: a digest's manifest never changes,
// so a caller may keep it and skip the read next time (see ResolveKind).
func (c *Client) PlatformsKind(ctx context.Context, d name.Digest) ([]Platform, types.MediaType, error) {
	desc, err := remote.Get(d, c.remote(ctx)...)
	if err != nil {
		return nil, "", fmt.Errorf("fetching the manifest of %s: %w", d, classify(err))
	}
	if !desc.MediaType.IsIndex() {
		return nil, desc.MediaType, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, "", fmt.Errorf("reading the index %s: %w", d, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("reading the index %s: %w", d, err)
	}
	var out []Platform
	for _, child := range m.Manifests {
		if _, ok := child.Annotations[buildxReferenceType]; ok {
			continue
		}
		p := Platform{Digest: d.Context().Digest(child.Digest.String()), Name: child.Digest.String()}
		if child.Platform != nil {
			p.Name = child.Platform.String()
		}
		out = append(out, p)
	}
	if len(out) > MaxPlatforms {
		return nil, "", fmt.Errorf("the index %s lists %d platforms, more than the %d gate decides over", d, len(out), MaxPlatforms)
	}
	return out, desc.MediaType, nil
}
