package oci

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ErrUnusable marks a fault of one attestation, not of the registry: what a
// listing names is missing, too large, or not shaped as an attestation. A
// caller rejects that attestation and goes on deciding. Every other error
// from Fetch is the registry's (unreachable, too slow, refusing the
// credentials, failing), and means the decision cannot be made.
var ErrUnusable = errors.New("unusable attestation, not counted (whoever pushed it can remove it; re-attest if it was meant to count)")

// ErrOverBudget means the attestation was not read because the caller's
// read budget was spent on others first.
var ErrOverBudget = fmt.Errorf("%w: over the read budget of one verify", ErrUnusable)

func unusable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnusable, fmt.Sprintf(format, args...))
}

// Budget bounds the bytes a series of fetches may read, so that junk
// referrers, however many and however large, cost a bounded time. It is
// safe for concurrent use.
type Budget struct{ left atomic.Int64 }

// NewBudget returns a budget of n bytes.
func NewBudget(n int64) *Budget {
	b := &Budget{}
	b.left.Store(n)
	return b
}

// take spends n bytes of b, or reports that fewer are left. A nil budget is unbounded.
func (b *Budget) take(n int64) bool {
	if b == nil {
		return true
	}
	if b.left.Add(-n) < 0 {
		b.left.Add(n)
		return false
	}
	return true
}

// Fetch returns the bundle (or, for the legacy layout, the DSSE envelope) a
// locates, bounded only by the per-attestation limits.
func (c *Client) Fetch(ctx context.Context, subject name.Digest, a Attestation) ([]byte, error) {
	l, err := c.Locate(ctx, subject, a, nil)
	if err != nil || l.Content != nil {
		return l.Content, err
	}
	return c.ReadBlob(ctx, subject, l.Blob, nil)
}

// Located is where an attestation's content is: in hand, or in a blob.
type Located struct {
	Content []byte        // the bundle, when its manifest embeds it
	Blob    v1.Descriptor // otherwise, the blob to read with ReadBlob
}

// Locate finds the content of a, spending what it reads from budget (nil:
// unbounded). Reading it is a step of its own so that a caller can read the
// small blobs before the large ones.
//
// A referrer's bundle is its manifest's one layer: what gate verifies is
// what cosign and every other reader see, never a blob an annotation names.
// The manifest is read by its digest, so its content is checked; gate
// writes the bundle inside it as well (the layer descriptor's data, checked
// against the layer's digest), so one request reads both. A manifest
// without embedded data (cosign's, or a bundle too large to embed) leaves
// its layer's blob to read. Cosign's legacy layout costs no request here:
// List has read its manifest.
func (c *Client) Locate(ctx context.Context, subject name.Digest, a Attestation, budget *Budget) (Located, error) {
	if a.Source == Legacy {
		return Located{Blob: v1.Descriptor{Digest: a.Blob, Size: a.Size}}, nil
	}
	// The listing's size is charged before the request, and refused if over
	// the limit; readManifest reads no more than it, and refuses another size.
	if a.ManifestSize < 0 || a.ManifestSize > maxManifestSize {
		return Located{}, unusable("attestation manifest %s is listed as %d bytes, over the limit of %d", a.Manifest, a.ManifestSize, maxManifestSize)
	}
	if !budget.take(a.ManifestSize) {
		return Located{}, ErrOverBudget
	}
	raw, err := c.readManifest(ctx, subject.Context(), a.Manifest, a.ManifestSize)
	if err != nil {
		return Located{}, err
	}
	l, err := bundleLayer(raw)
	if err != nil {
		return Located{}, fmt.Errorf("attestation manifest %s: %w", a.Manifest, err)
	}
	if len(l.Data) == 0 {
		return Located{Blob: l}, nil
	}
	h, n, err := v1.SHA256(bytes.NewReader(l.Data))
	if err != nil || h != l.Digest || n != l.Size {
		return Located{}, unusable("attestation manifest %s embeds a bundle that is not its layer %s", a.Manifest, l.Digest)
	}
	return Located{Content: l.Data}, nil
}

// referrerManifest is what gate reads of a referrer manifest: decoding
// only these fields (not v1.Manifest's platforms, URLs and annotations)
// halves the cost of the largest thing a verify parses.
type referrerManifest struct {
	MediaType types.MediaType `json:"mediaType"`
	Layers    []struct {
		MediaType types.MediaType `json:"mediaType"`
		Digest    v1.Hash         `json:"digest"`
		Size      int64           `json:"size"`
		Data      []byte          `json:"data"`
	} `json:"layers"`
}

// bundleLayer returns the one layer of a referrer manifest holding a bundle.
func bundleLayer(raw []byte) (v1.Descriptor, error) {
	var m referrerManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return v1.Descriptor{}, unusable("unreadable: %v", err)
	}
	if m.MediaType != types.OCIManifestSchema1 {
		return v1.Descriptor{}, unusable("a %q, not an OCI image manifest", m.MediaType)
	}
	if len(m.Layers) != 1 {
		return v1.Descriptor{}, unusable("%d layers, want one bundle", len(m.Layers))
	}
	l := m.Layers[0]
	if !strings.HasPrefix(string(l.MediaType), bundleMediaTypePrefix) {
		return v1.Descriptor{}, unusable("its layer is a %q, not a Sigstore bundle", l.MediaType)
	}
	return v1.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, Data: l.Data}, nil
}

// ReadBlob reads the attestation blob d describes from subject's
// repository, refusing it before any request if its declared size is over
// the limit or the budget, and reading no more than it declares. Its content
// is checked against its digest as it is read.
func (c *Client) ReadBlob(ctx context.Context, subject name.Digest, d v1.Descriptor, budget *Budget) ([]byte, error) {
	repo := subject.Context()
	if d.Size < 0 || d.Size > MaxAttestationSize {
		return nil, unusable("attestation %s is declared as %d bytes, over the limit of %d", d.Digest, d.Size, MaxAttestationSize)
	}
	if !budget.take(d.Size) {
		return nil, ErrOverBudget
	}
	l, err := remote.Layer(repo.Digest(d.Digest.String()), c.remote(ctx)...)
	if err != nil {
		return nil, fetchError(fmt.Sprintf("fetching attestation %s", d.Digest), err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fetchError(fmt.Sprintf("fetching attestation %s", d.Digest), err)
	}
	defer rc.Close()
	// Bundles and envelopes are JSON objects: junk that starts otherwise is
	// refused after its first bytes, not read to its end.
	br := bufio.NewReader(io.LimitReader(rc, d.Size+1))
	first, err := br.Peek(min(int(d.Size), 512))
	if len(first) > 0 {
		if t := bytes.TrimLeft(first, " \t\r\n"); len(t) > 0 && t[0] != '{' {
			return nil, unusable("attestation %s is not a JSON object, so neither a bundle nor an envelope", d.Digest)
		}
	}
	if err != nil && err != io.EOF {
		return nil, fetchError(fmt.Sprintf("reading attestation %s", d.Digest), err)
	}
	b, err := io.ReadAll(br)
	if err != nil {
		return nil, fetchError(fmt.Sprintf("reading attestation %s", d.Digest), err)
	}
	if int64(len(b)) != d.Size {
		return nil, unusable("attestation %s is not the %d bytes its manifest declares", d.Digest, d.Size)
	}
	return b, nil
}

// fetchError tells a fault of the registry, which the caller must not
// decide through, from a fault of what a listing named: anything the
// registry says about the request itself (404 or another 4xx but 401, 403
// and 429) or content that is not what its digest says.
func fetchError(doing string, err error) error {
	err = classify(err)
	if registryFault(err) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnusable, doing, err)
}

func registryFault(err error) bool {
	for _, s := range []error{ErrUnauthorized, ErrUnreachable, ErrTimeout, context.Canceled, context.DeadlineExceeded, io.ErrUnexpectedEOF} {
		if errors.Is(err, s) {
			return true
		}
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode >= http.StatusInternalServerError || terr.StatusCode == http.StatusTooManyRequests
	}
	var uerr *url.Error
	var nerr net.Error
	return errors.As(err, &uerr) || errors.As(err, &nerr)
}
