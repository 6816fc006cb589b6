package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNotIdentical means the copy, verified at its destination, did not come
// to the decision or the evidence the source did: gate says so rather than
// leave a promotion that looks done.
var ErrNotIdentical = errors.New("the copy does not verify as the source does")

// Result is what a promotion did. When Source.Allowed is false nothing was copied.
type Result struct {
	// Source is the decision about the image at its source, over every verified attestation.
	Source *gate.Decision `json:"source"`
	// Destination is the decision about the copy, read back from the destination.
	Destination *gate.Decision `json:"destination,omitempty"`
	// To is the copy's digest reference.
	To name.Digest `json:"to"`
	// Copied is the evidence copied; Skipped, what did not verify and stayed behind.
	Copied  []gate.UsedEvidence `json:"copied"`
	Skipped []gate.Rejected     `json:"skipped"`
}

// Promote copies the image src names to the repository dst (optionally
// with a tag, "reg/repo:tag"), and every attestation of it that verifies,
// when it is blessed in env; a rejected attestation is never copied. A
// denial is a Result whose Source is not allowed, with nothing copied; an
// error means nothing could be decided, or the copy failed part way.
func Promote(ctx context.Context, c *oci.Client, cfg *config.Config, env, src, dst string, now time.Time) (*Result, error) {
	e, err := cfg.Environment(env)
	if err != nil {
		return nil, err
	}
	from, err := c.Resolve(ctx, src)
	if err != nil {
		return nil, err
	}
	to, tag, err := destination(c, dst, from)
	if err != nil {
		return nil, err
	}
	v := gate.NewVerifier(c, cfg)
	types, err := listedTypes(ctx, c, cfg, from, e.Policy.PredicateTypes())
	if err != nil {
		return nil, err
	}
	g, err := v.Gather(ctx, from, types)
	if err != nil {
		return nil, err
	}
	r := &Result{To: to, Skipped: g.Rejected, Copied: []gate.UsedEvidence{}}
	if r.Source, err = gate.Decide(ctx, e, g, src, now); err != nil {
		return nil, err
	}
	if !r.Source.Allowed {
		return r, nil
	}
	if err := c.CopyImage(ctx, from, to); err != nil {
		return nil, err
	}
	if err := copyEvidence(ctx, c, from, to, g.Evidence); err != nil {
		return nil, err
	}
	for _, ev := range g.Evidence {
		r.Copied = append(r.Copied, ev.UsedEvidence)
	}
	// The tag comes last, so that whoever pulls by it finds the evidence there.
	if tag != "" {
		if err := c.Tag(ctx, to, tag); err != nil {
			return nil, err
		}
	}
	back, err := v.Gather(ctx, to, types)
	if err != nil {
		return nil, fmt.Errorf("verifying the copy: %w", err)
	}
	if r.Destination, err = gate.Decide(ctx, e, back, to.String(), now); err != nil {
		return nil, err
	}
	// The destination may hold more (a NOGO there, an earlier copy): the
	// decision must be the same, and every copied attestation must count there.
	if !r.Destination.Allowed || !contains(r.Destination.Evidence, r.Copied) {
		return r, fmt.Errorf("%w: at %s blessed with %d attestations, at %s blessed=%t with %d (its own reasons above)",
			ErrNotIdentical, from, len(r.Copied), to, r.Destination.Allowed, len(r.Destination.Evidence))
	}
	return r, nil
}

// destination parses dst, a repository with an optional tag, as the place
// of digest d's copy.
func destination(c *oci.Client, dst string, d name.Digest) (name.Digest, string, error) {
	ref, err := c.ParseReference(dst)
	if err != nil {
		return name.Digest{}, "", err
	}
	tag := ""
	switch r := ref.(type) {
	case name.Digest:
		if r.DigestStr() != d.DigestStr() {
			return name.Digest{}, "", fmt.Errorf("destination %s names another digest than %s: promotion keeps the digest", dst, d.DigestStr())
		}
	case name.Tag:
		// "reg/repo" parses as reg/repo:latest; only a tag written out is applied.
		if strings.Contains(dst[strings.LastIndex(dst, "/")+1:], ":") {
			tag = r.TagStr()
		}
	}
	return ref.Context().Digest(d.DigestStr()), tag, nil
}

// listedTypes is types and every predicate type the registry lists for d:
// promotion copies all the evidence that verifies, not only what env's
// policy reads.
func listedTypes(ctx context.Context, c *oci.Client, cfg *config.Config, d name.Digest, types []string) ([]string, error) {
	list := c.ListReferrers
	if cfg.Legacy {
		list = c.List
	}
	all, err := list(ctx, d)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(types)
	for _, a := range all {
		if a.PredicateType != "" && !slices.Contains(out, a.PredicateType) {
			out = append(out, a.PredicateType)
		}
	}
	return out, nil
}

// copyEvidence copies each verified attestation from one subject to the other.
func copyEvidence(ctx context.Context, c *oci.Client, from, to name.Digest, evidence []gate.Verified) error {
	var legacy []v1.Hash
	for _, ev := range evidence {
		h, err := v1.NewHash(ev.Location)
		if err != nil {
			return fmt.Errorf("locating attestation %s: %w", ev.Location, err)
		}
		if ev.Source == oci.Legacy {
			legacy = append(legacy, h)
			continue
		}
		if err := c.CopyReferrer(ctx, from, to, h); err != nil {
			return err
		}
	}
	return c.CopyLegacy(ctx, from, to, legacy)
}

// SameEvidence says whether a and b hold the same attestations (by where
// they are, what they say they are and who signed them), in any order.
func SameEvidence(a, b []gate.UsedEvidence) bool {
	return len(a) == len(b) && contains(a, b) && contains(b, a)
}

// contains says whether every attestation of sub is in set.
func contains(set, sub []gate.UsedEvidence) bool {
	have := map[string]bool{}
	for _, e := range set {
		have[key(e)] = true
	}
	for _, e := range sub {
		if !have[key(e)] {
			return false
		}
	}
	return true
}

func key(e gate.UsedEvidence) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s", e.Source, e.Location, e.PredicateType, e.Signer.Role, e.Signer.Identity)
}
