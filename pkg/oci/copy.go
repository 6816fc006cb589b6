package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// CopyImage copies the image or index src names to dst, which must name the
// same digest in another repository: manifests and blobs keep their bytes.
func (c *Client) CopyImage(ctx context.Context, src, dst name.Digest) error {
	if src.DigestStr() != dst.DigestStr() {
		return fmt.Errorf("copying %s to %s: the digest must stay the same", src, dst)
	}
	desc, err := remote.Get(src, c.remote(ctx)...)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, classify(err))
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return fmt.Errorf("reading %s: %w", src, err)
		}
		if err := remote.WriteIndex(dst, idx, c.push(ctx)...); err != nil {
			return fmt.Errorf("writing %s: %w", dst, classify(err))
		}
		return nil
	}
	img, err := desc.Image()
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if err := remote.Write(dst, img, c.push(ctx)...); err != nil {
		return fmt.Errorf("writing %s: %w", dst, classify(err))
	}
	return nil
}

// Tag points tag at the manifest d names, in d's repository.
func (c *Client) Tag(ctx context.Context, d name.Digest, tag string) error {
	desc, err := remote.Get(d, c.remote(ctx)...)
	if err != nil {
		return fmt.Errorf("reading %s: %w", d, classify(err))
	}
	if err := remote.Tag(d.Context().Tag(tag), desc, c.push(ctx)...); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", d, tag, classify(err))
	}
	return nil
}

// CopyReferrer copies the referrer manifest m of src, and its blobs, to
// dst, a subject of the same digest elsewhere: by digest where dst's
// registry keeps referrers lists, under the fallback tag scheme where it
// does not. The manifest keeps its bytes, and so its digest and the
// bundle's signature.
func (c *Client) CopyReferrer(ctx context.Context, src, dst name.Digest, m v1.Hash) error {
	desc, err := remote.Get(src.Context().Digest(m.String()), c.remote(ctx)...)
	if err != nil {
		return fmt.Errorf("reading attestation manifest %s: %w", m, classify(err))
	}
	if len(desc.Manifest) > maxManifestSize {
		return fmt.Errorf("attestation manifest %s is larger than %d bytes", m, maxManifestSize)
	}
	if !refersTo(desc.Manifest, src) {
		return fmt.Errorf("attestation manifest %s does not refer to %s: not copying it", m, src)
	}
	var man v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &man); err != nil {
		return fmt.Errorf("reading attestation manifest %s: %w", m, err)
	}
	if err := c.copyBlobs(ctx, src.Context(), dst.Context(), append([]v1.Descriptor{man.Config}, man.Layers...)); err != nil {
		return err
	}
	if _, err := c.putReferrer(ctx, dst, desc.Manifest); err != nil {
		return err
	}
	return nil
}

// CopyLegacy copies the layers keep of src's cosign .att image to dst's,
// keeping the layers dst's .att image already has. The envelopes keep their
// bytes; the .att manifest keeps its bytes only when nothing is left out
// and dst had none.
func (c *Client) CopyLegacy(ctx context.Context, src, dst name.Digest, keep []v1.Hash) error {
	if len(keep) == 0 {
		return nil
	}
	desc, err := remote.Get(LegacyTag(src), c.remote(ctx)...)
	if err != nil {
		return fmt.Errorf("reading cosign attestations of %s: %w", src, classify(err))
	}
	var man v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &man); err != nil {
		return fmt.Errorf("reading cosign attestations of %s: %w", src, err)
	}
	var layers []v1.Descriptor
	for _, l := range man.Layers {
		if l.MediaType == DSSEMediaType && slices.Contains(keep, l.Digest) {
			layers = append(layers, l)
		}
	}
	if err := c.copyBlobs(ctx, src.Context(), dst.Context(), append([]v1.Descriptor{man.Config}, layers...)); err != nil {
		return err
	}
	raw := desc.Manifest
	old, err := remote.Get(LegacyTag(dst), c.remote(ctx)...)
	switch err = classify(err); {
	case isNotFound(err):
		old = nil
	case err != nil:
		return fmt.Errorf("reading cosign attestations of %s: %w", dst, err)
	}
	if old != nil || len(layers) != len(man.Layers) {
		if old != nil {
			var had v1.Manifest
			if err := json.Unmarshal(old.Manifest, &had); err != nil {
				return fmt.Errorf("reading cosign attestations of %s: %w", dst, err)
			}
			for _, l := range had.Layers {
				if !slices.ContainsFunc(layers, func(k v1.Descriptor) bool { return k.Digest == l.Digest }) {
					layers = append(layers, l)
				}
			}
		}
		man.Layers = layers
		if raw, err = json.Marshal(man); err != nil {
			return err
		}
	}
	sess, err := c.session(ctx, dst.Context(), true)
	if err != nil {
		return err
	}
	mt := man.MediaType
	if mt == "" {
		mt = types.OCIManifestSchema1
	}
	if err := sess.putManifest(ctx, LegacyTag(dst).TagStr(), mt, raw); err != nil {
		return fmt.Errorf("writing cosign attestations of %s: %w", dst, err)
	}
	return nil
}

// copyBlobs copies each blob of descs from one repository to another.
func (c *Client) copyBlobs(ctx context.Context, from, to name.Repository, descs []v1.Descriptor) error {
	for _, d := range descs {
		l, err := remote.Layer(from.Digest(d.Digest.String()), c.remote(ctx)...)
		if err != nil {
			return fmt.Errorf("reading blob %s: %w", d.Digest, classify(err))
		}
		if err := remote.WriteLayer(to, l, c.push(ctx)...); err != nil {
			return fmt.Errorf("copying blob %s to %s: %w", d.Digest, to, classify(err))
		}
	}
	return nil
}
