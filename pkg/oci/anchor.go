package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyJSON is the OCI empty descriptor's content, the config and only layer of an anchor.
var emptyJSON = []byte("{}")

// Anchor is an empty OCI artifact whose bytes depend only on its type and
// annotations, so that its digest is computed, never looked up: statements
// about a well-known thing (an environment's freeze) are stored as its
// referrers, and no tag a pusher could move decides which thing that is.
type Anchor struct {
	Digest name.Digest
	raw    []byte
}

// NewAnchor returns the anchor of artifactType with annotations in repo.
func NewAnchor(repo name.Repository, artifactType string, annotations map[string]string) (*Anchor, error) {
	empty := static.NewLayer(emptyJSON, types.OCIEmptyJSON)
	h, _ := empty.Digest()
	desc := v1.Descriptor{MediaType: types.OCIEmptyJSON, Digest: h, Size: int64(len(emptyJSON))}
	// encoding/json sorts map keys: the same annotations give the same bytes.
	raw, err := json.Marshal(manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: artifactType,
		Config: desc, Layers: []v1.Descriptor{desc}, Annotations: annotations})
	if err != nil {
		return nil, fmt.Errorf("encoding anchor: %w", err)
	}
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return &Anchor{Digest: repo.Digest(d.String()), raw: raw}, nil
}

// PutAnchor stores a in its repository; storing it again changes nothing.
func (c *Client) PutAnchor(ctx context.Context, a *Anchor) error {
	repo := a.Digest.Context()
	if err := remote.WriteLayer(repo, static.NewLayer(emptyJSON, types.OCIEmptyJSON), c.push(ctx)...); err != nil {
		return fmt.Errorf("uploading anchor to %s: %w", repo, classify(err))
	}
	s, err := c.session(ctx, repo, true)
	if err != nil {
		return err
	}
	if err := s.putManifest(ctx, a.Digest.DigestStr(), types.OCIManifestSchema1, a.raw); err != nil {
		return fmt.Errorf("storing anchor %s: %w", a.Digest, err)
	}
	return nil
}
