package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact is an OCI artifact of one layer: a config blob and a layer blob,
// each of its media type (as OPA stores a policy bundle).
type Artifact struct {
	ConfigType types.MediaType
	Config     []byte
	LayerType  types.MediaType
	Layer      []byte
}

// PushArtifact uploads a's blobs to tag's repository, stores its manifest
// under tag, and returns the manifest's digest.
func (c *Client) PushArtifact(ctx context.Context, tag name.Tag, a Artifact) (name.Digest, error) {
	var descs [2]v1.Descriptor
	for i, l := range []v1.Layer{static.NewLayer(a.Config, a.ConfigType), static.NewLayer(a.Layer, a.LayerType)} {
		if err := remote.WriteLayer(tag.Context(), l, c.push(ctx)...); err != nil {
			return name.Digest{}, fmt.Errorf("uploading to %s: %w", tag.Context(), classify(err))
		}
		d, _ := l.Digest()
		sz, _ := l.Size()
		mt, _ := l.MediaType()
		descs[i] = v1.Descriptor{MediaType: mt, Digest: d, Size: sz}
	}
	raw, err := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: descs[0], Layers: descs[1:]})
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.Put(tag, rawManifest{raw: raw, mediaType: types.OCIManifestSchema1}, c.push(ctx)...); err != nil {
		return name.Digest{}, fmt.Errorf("pushing %s: %w", tag, classify(err))
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return name.Digest{}, err
	}
	return tag.Context().Digest(h.String()), nil
}

type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// ReadArtifactLayer reads the one layer of the artifact d names, refusing
// an artifact whose config or layer is not of the media type given, whose
// layer is declared larger than limit bytes (before fetching it), or whose
// layer's content is not what its digest says. The manifest is checked
// against d, so the bytes returned are those d covers.
func (c *Client) ReadArtifactLayer(ctx context.Context, d name.Digest, configType, layerType types.MediaType, limit int64) ([]byte, error) {
	desc, err := remote.Get(d, c.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, classify(err))
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, fmt.Errorf("reading %s: not an OCI manifest: %w", d, err)
	}
	switch {
	case m.Config.MediaType != configType:
		return nil, fmt.Errorf("%s has a config of type %q, not %q: it is not what was asked for", d, m.Config.MediaType, configType)
	case len(m.Layers) != 1 || m.Layers[0].MediaType != layerType:
		return nil, fmt.Errorf("%s does not have exactly one layer of type %q", d, layerType)
	case m.Layers[0].Size < 0 || m.Layers[0].Size > limit:
		return nil, fmt.Errorf("%s: its layer is declared as %d bytes, over the limit of %d", d, m.Layers[0].Size, limit)
	}
	ld := m.Layers[0]
	l, err := remote.Layer(d.Context().Digest(ld.Digest.String()), c.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching the layer of %s: %w", d, classify(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetching the layer of %s: %w", d, classify(err))
	}
	defer rc.Close()
	// The reader checks the content against its digest at its end.
	b, err := io.ReadAll(io.LimitReader(rc, ld.Size+1))
	if err != nil {
		return nil, fmt.Errorf("reading the layer of %s: %w", d, classify(err))
	}
	if int64(len(b)) != ld.Size {
		return nil, fmt.Errorf("the layer of %s is not the %d bytes its manifest declares", d, ld.Size)
	}
	return b, nil
}
