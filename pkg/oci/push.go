package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
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
	// AnnotationBundle names the bundle's blob, which saves fetching the manifest.
	AnnotationBundle = "dev.gatehq.bundle.digest"
	// legacyPredicateType is the layer annotation of cosign's legacy .att layout.
	legacyPredicateType = "predicateType"
)

// Media types of attestations.
const (
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// DSSEMediaType is the layer media type of cosign's legacy .att layout.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
)

// Fallback-scheme writes are a read-modify-write of one index that concurrent
// writers can undo (sigstore/cosign#2432). Push therefore reads its referrer
// back, twice, settleTime apart, and writes again what went missing.
const (
	maxPushAttempts = 12
	settleTime      = 150 * time.Millisecond
)

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        v1.Descriptor     `json:"config"`
	Layers        []v1.Descriptor   `json:"layers"`
	Subject       *v1.Descriptor    `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// Push stores bundle as an OCI 1.1 referrer of subject, annotated with its
// predicate type, and returns the referrer's manifest digest. Where the
// registry has no referrers API, ggr maintains the fallback tag index, and
// Push makes sure its entry survives concurrent writers.
func (c *Client) Push(ctx context.Context, subject name.Digest, bundle []byte, predicateType string) (v1.Hash, error) {
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
	raw, err := json.Marshal(manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        descs[0],
		Layers:        descs[1:],
		Subject:       &v1.Descriptor{MediaType: sdesc.MediaType, Digest: sdesc.Digest, Size: sdesc.Size},
		Annotations: map[string]string{
			AnnotationPredicateType:            predicateType,
			AnnotationContent:                  "dsse-envelope",
			AnnotationBundle:                   descs[1].Digest.String(),
			"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339),
		},
	})
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytesReader(raw))
	if err != nil {
		return v1.Hash{}, err
	}
	ref := subject.Context().Digest(h.String())
	put := func() error {
		if err := remote.Put(ref, rawManifest(raw), opts...); err != nil {
			return fmt.Errorf("pushing attestation to %s: %w", subject.Context(), classify(err))
		}
		return nil
	}
	if err := put(); err != nil {
		return v1.Hash{}, err
	}
	api, err := c.hasReferrersAPI(ctx, subject)
	if err != nil || api {
		return h, err
	}
	return h, c.ensureListed(ctx, subject, h, put)
}

// ensureListed reads the fallback index until it has held h twice in a row,
// settleTime apart, writing again whenever h went missing.
func (c *Client) ensureListed(ctx context.Context, subject name.Digest, h v1.Hash, put func() error) error {
	seen := 0
	for attempt := 0; attempt < maxPushAttempts; attempt++ {
		jitter := time.Duration(rand.Int64N(int64(settleTime)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settleTime + jitter):
		}
		listed, err := c.listed(ctx, subject, h)
		if err != nil {
			return err
		}
		if listed {
			if seen++; seen == 2 {
				return nil
			}
			continue
		}
		seen = 0
		if err := put(); err != nil {
			return err
		}
	}
	return fmt.Errorf("attestation %s of %s kept vanishing from the referrers fallback tag after %d attempts", h, subject, maxPushAttempts)
}

func (c *Client) listed(ctx context.Context, subject name.Digest, h v1.Hash) (bool, error) {
	idx, err := remote.Referrers(subject, c.remote(ctx)...)
	if err != nil {
		return false, fmt.Errorf("listing referrers of %s: %w", subject, classify(err))
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return false, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return true, nil
		}
	}
	return false, nil
}

// hasReferrersAPI asks the registry whether it keeps referrers lists itself.
func (c *Client) hasReferrersAPI(ctx context.Context, subject name.Digest) (bool, error) {
	repo := subject.Context()
	auth, err := authn.Resolve(ctx, c.keychain, repo)
	if err != nil {
		return false, err
	}
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, c.transport, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return false, fmt.Errorf("reaching %s: %w", repo.RegistryStr(), classify(err))
	}
	u := fmt.Sprintf("%s://%s/v2/%s/referrers/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), subject.DigestStr())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", string(types.OCIImageIndex))
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return false, fmt.Errorf("reaching %s: %w", repo.RegistryStr(), err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == string(types.OCIImageIndex), nil
}
