package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Writing to the OCI referrers fallback tag without losing anything.
//
// Where a registry has no referrers API, the referrers of a subject are an
// OCI index under the tag sha256-<hex>, and adding one is a read-modify-write
// of that index. Registries offer no compare-and-swap on a tag, so two
// writers that read the same index each put back their own entry and one
// entry is gone: cosign's legacy layout loses attestations this way
// (sigstore/cosign#2432), and "write, read back, write again" only narrows
// the window, since the writer that puts last may have read before another
// writer that has already checked its entry and exited.
//
// gate therefore makes every attestation durable on its own before it
// touches the index, and makes every writer check (and repair) everyone's
// entries, not only its own:
//
//  1. Record: the referrer manifest is put under its own tag,
//     sha256-<subject hex>.gate-<first 32 hex of the manifest's digest>.
//     Distinct attestations never share a tag, so this write cannot be lost.
//  2. Round: list the record tags of the subject (starting at their prefix),
//     read the index, and find the records the index lacks. None missing:
//     done. Otherwise put back the index as read plus the missing entries
//     (others' entries, cosign's too, are kept), pause briefly, and go again.
//
// Why no write is lost, once every writer has returned: let P be the last
// index put to take effect, by writer L. L's round after P started after P's
// response, so it read the final index and found nothing missing (a repair
// would have been a later put): every record whose PUT had completed before
// that listing is in the final index. Any other record belongs to a writer X
// whose rounds all began after P, so its last round, which found nothing
// missing, read the final index too, and that index held X's record. A tag
// listed but not yet readable (distribution lists a tag while its PUT is
// still being written) is such an X, and is left to its writer. No timing
// assumption is made (no settle delays): only that a read starting after a
// write's response sees that write, which holds for a single registry
// (distribution's filesystem storage; not necessarily for eventually
// consistent object stores).
//
// The argument needs every writer to finish its rounds. One that fails part
// way (its attest then exits 2) may leave its own or, after a stale index
// put, others' entries out of the index; each stays in its record tag, and
// the next gate write on that subject puts it back. Writers that do not take
// part (cosign, crane) can drop gate's entries too; the same repair applies. Listing record tags costs one request
// per round on registries that honour the listing's "last" parameter.
const (
	// maxFallbackRounds bounds the rounds of one push. Writers converge in
	// about three rounds once every record exists (a round that lists every
	// record writes a complete index); more means a registry that does not
	// keep what it is given.
	maxFallbackRounds = 40
	// roundPause is the longest random pause after a repair, so that writers
	// which collided spread out instead of colliding again at once.
	roundPause = 50 * time.Millisecond
	// recordInfix separates the subject from the record's own digest in a
	// record tag. cosign's suffixes (.sig, .att, .sbom) never start with it.
	recordInfix = ".gate-"
	// recordDigestLen is how much of the manifest digest a record tag keeps:
	// 128 bits, and the tag (109 characters for sha256) within the 128 allowed.
	recordDigestLen = 32
)

// FallbackTag is the tag of the OCI referrers fallback index of d.
func FallbackTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1))
}

// recordPrefix is what every record tag of subject starts with.
func recordPrefix(subject name.Digest) string {
	alg, hex, _ := strings.Cut(subject.DigestStr(), ":")
	return alg + "-" + hex[:min(len(hex), 64)] + recordInfix
}

// recordTag is the tag under which the referrer manifest h is kept.
func recordTag(subject name.Digest, h v1.Hash) string {
	return recordPrefix(subject) + h.Hex[:recordDigestLen]
}

// pushFallback stores raw, the referrer manifest h of subject, under its
// record tag and returns once the fallback index holds every record of subject.
func (c *Client) pushFallback(ctx context.Context, s *session, subject name.Digest, h v1.Hash, raw []byte) error {
	own, err := descriptorOf(raw)
	if err != nil {
		return err
	}
	ownTag := recordTag(subject, h)
	if err := s.putManifest(ctx, ownTag, own.MediaType, raw); err != nil {
		return fmt.Errorf("pushing attestation to %s: %w", subject.Context(), err)
	}
	// Records are immutable (the tag names the digest), so each is read once.
	known := map[string]*v1.Descriptor{ownTag: own}
	for round := 0; round < maxFallbackRounds; round++ {
		tags, err := s.tagsWithPrefix(ctx, recordPrefix(subject))
		if err != nil {
			return err
		}
		if !slices.Contains(tags, ownTag) {
			tags = append(tags, ownTag) // a registry slow to list its own tags
		}
		idx, err := s.fallbackIndex(ctx, subject)
		if err != nil {
			return err
		}
		missing, err := s.missingRecords(ctx, subject, tags, idx, known)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			return nil
		}
		idx.Manifests = append(idx.Manifests, missing...)
		slices.SortFunc(idx.Manifests, func(a, b v1.Descriptor) int { return strings.Compare(a.Digest.String(), b.Digest.String()) })
		b, err := json.Marshal(idx)
		if err != nil {
			return err
		}
		if err := s.putManifest(ctx, FallbackTag(subject).TagStr(), types.OCIImageIndex, b); err != nil {
			return fmt.Errorf("updating the referrers fallback tag of %s: %w", subject, err)
		}
		select {
		case <-ctx.Done():
			return classify(ctx.Err())
		case <-time.After(rand.N(roundPause)):
		}
	}
	return fmt.Errorf("the referrers fallback tag of %s kept losing entries after %d repairs", subject, maxFallbackRounds)
}

// fallbackIndex reads the fallback index of subject; none yet is an empty one.
func (s *session) fallbackIndex(ctx context.Context, subject name.Digest) (*v1.IndexManifest, error) {
	raw, err := s.getManifest(ctx, FallbackTag(subject).TagStr(), types.OCIImageIndex)
	if isNotFound(err) {
		return &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the referrers fallback tag of %s: %w", subject, err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("reading the referrers fallback tag of %s: %w", subject, err)
	}
	if idx.SchemaVersion != 2 || idx.MediaType != types.OCIImageIndex {
		return nil, fmt.Errorf("the referrers fallback tag of %s holds a %s, not an OCI index: not overwriting it", subject, idx.MediaType)
	}
	return &idx, nil
}

// missingRecords returns the descriptors of the records in tags that idx
// lacks. A tag whose manifest does not match its name, or is about another
// subject, is not gate's record and is left alone.
func (s *session) missingRecords(ctx context.Context, subject name.Digest, tags []string, idx *v1.IndexManifest, known map[string]*v1.Descriptor) ([]v1.Descriptor, error) {
	listed := map[string]bool{}
	for _, d := range idx.Manifests {
		listed[d.Digest.Hex[:min(len(d.Digest.Hex), recordDigestLen)]] = true
	}
	prefix := recordPrefix(subject)
	var out []v1.Descriptor
	for _, t := range tags {
		if listed[strings.TrimPrefix(t, prefix)] {
			continue
		}
		d, seen := known[t]
		if !seen {
			raw, err := s.getManifest(ctx, t, types.OCIManifestSchema1)
			if isNotFound(err) {
				// Listed yet not there: distribution lists a tag as soon as its
				// directory exists, before the PUT that makes it completes. That
				// writer has not started its rounds, and will see to its record.
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("reading attestation record %s: %w", t, err)
			}
			if d, err = descriptorOf(raw); err != nil || t != recordTag(subject, d.Digest) || !refersTo(raw, subject) {
				d = nil
			}
			known[t] = d
		}
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

func (s *session) getManifest(ctx context.Context, ref string, accept types.MediaType) ([]byte, error) {
	resp, err := s.do(ctx, http.MethodGet, s.url("manifests/"+ref, nil), nil, http.Header{"Accept": {string(accept)}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, classify(err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return nil, classify(err)
	}
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("manifest %s is larger than %d bytes", ref, maxManifestSize)
	}
	return b, nil
}

// descriptorOf is the index entry of a referrer manifest, as the referrers
// API would list it: its artifact type (or config media type) and annotations.
func descriptorOf(raw []byte) (*v1.Descriptor, error) {
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("reading referrer manifest: %w", err)
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	at := m.ArtifactType
	if at == "" {
		at = string(m.Config.MediaType)
	}
	return &v1.Descriptor{MediaType: m.MediaType, Digest: h, Size: size, ArtifactType: at, Annotations: m.Annotations}, nil
}

func refersTo(raw []byte, subject name.Digest) bool {
	var m manifest
	return json.Unmarshal(raw, &m) == nil && m.Subject != nil && m.Subject.Digest.String() == subject.DigestStr()
}
