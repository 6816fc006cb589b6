package gate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Limits of the fast path.
const (
	// maxVSAs is how many of an image's newest VSAs the fast path reads: one
	// per environment a pipeline verifies in, and a spare. An image with more
	// is verified in full whenever its newest three do not do.
	maxVSAs = 3
	// vsaReadBytes bounds what the fast path reads: three VSAs of 1 MiB,
	// while gate's list a few hundred bytes per input attestation.
	vsaReadBytes = maxVSAs << 20
	// vsaSkew is the disagreement allowed between the clocks of the verifier
	// that signed a VSA, this webhook, and whoever pushed the image's other
	// referrers. It is spent on the safe side: a VSA from up to this far in
	// the future is taken, and a referrer pushed up to this long before the
	// VSA (and not among its inputs) counts as newer than it.
	vsaSkew = time.Minute
)

// VSAGate is the gate a decision taken from a VSA passes, its reason naming the VSA.
const VSAGate = "vsa"

// FastPath says what the fast path did for one decision.
type FastPath struct {
	// VSA is the referrer manifest digest of the VSA taken; "" when the
	// image was verified in full.
	VSA string
	// Ignored says why each VSA read was not taken, for a debug log.
	Ignored []string
}

// VerifyFast decides whether the image at d is blessed in e, as Verify does
// for a digest reference, except that a VSA can stand for the verification
// when e has a fast path (see takeVSA). Any other VSA is ignored, FAILED
// ones too: a VSA never denies. The full verification then reads the
// referrer listing the fast path read: without a VSA to read, the fast path
// costs no request. kind is the media type of d's manifest when the caller
// knows it, as for VerifyResolved: an image's then costs no read.
func VerifyFast(ctx context.Context, c *oci.Client, cfg *config.Config, e *config.Environment, d name.Digest, kind types.MediaType, now time.Time) (*Decision, FastPath, error) {
	if e.FastPath == nil {
		dec, err := VerifyResolved(ctx, c, cfg, e.Name, d, kind, d.String(), now, nil)
		return dec, FastPath{}, err
	}
	v := NewVerifier(c, cfg)
	var all []oci.Attestation
	list := func(ctx context.Context) (err error) { all, err = v.list(ctx, d); return err }
	plats, kind, err := platformsUnless(ctx, c, d, kind, list)
	if err != nil {
		return nil, FastPath{}, err
	}
	dec, fp := v.takeVSA(ctx, e, d, all, plats, now)
	if dec == nil {
		read := e.Policy.PredicateTypes()
		g, err := v.gatherListed(ctx, d, all, read)
		if err != nil {
			return nil, fp, err
		}
		if dec, err = decideAll(ctx, v, e, g, plats, read, d.String(), now); err != nil {
			return nil, fp, err
		}
	}
	dec.Kind = kind
	return dec, fp, nil
}

// takeVSA returns the decision one of d's VSAs stands for, or nil and why
// none does. It reads the newest maxVSAs referrers annotated as VSAs,
// newest first, and takes the first that: verifies as signed (one
// signature) by a role of e's fast path about d; says PASSED for e under
// e's current policy version; was verified no later than now (give or take
// vsaSkew) and within the fast path's maxAge; and has no referrer of d (or,
// for an index, of its platforms) newer than it, which could be a NOGO or
// a scan signed since. "Newer" is read from the referrer listing's
// org.opencontainers.image.created annotation, which gate and cosign write
// when they push (key-signed bundles carry no signed time, and reading
// every bundle's would cost the verification the fast path saves; a
// registry that could forge the listing could as well hide a referrer from
// the full path). A referrer counts as newer unless the VSA lists it among
// its inputs, it is a VSA about another environment, or its annotation says
// it was pushed more than vsaSkew before the VSA was signed: one without the
// annotation (cosign's legacy layout) is newer.
func (v *Verifier) takeVSA(ctx context.Context, e *config.Environment, d name.Digest, all []oci.Attestation, plats []oci.Platform, now time.Time) (*Decision, FastPath) {
	var fp FastPath
	var vsas []oci.Attestation
	for _, a := range all {
		if a.Source == oci.Referrer && a.PredicateType == attestations.VSAType {
			vsas = append(vsas, a)
		}
	}
	slices.SortStableFunc(vsas, func(a, b oci.Attestation) int { return b.CreatedAt.Compare(a.CreatedAt) })
	budget := oci.NewBudget(vsaReadBytes)
	otherEnv := map[string]bool{} // VSAs about another environment: they cannot change e's decision
	for _, a := range vsas[:min(len(vsas), maxVSAs)] {
		ev, s, why := v.vsaFor(ctx, e, d, a, budget, now)
		if errors.Is(why, errOtherEnvironment) {
			otherEnv[location(a)] = true
		}
		if why == nil {
			why = v.newerReferrer(ctx, d, all, plats, a, s, otherEnv)
		}
		if why != nil {
			fp.Ignored = append(fp.Ignored, fmt.Sprintf("VSA %s: %v", a.Manifest, why))
			continue
		}
		fp.VSA = a.Manifest.String()
		return vsaDecision(e, d, a, ev, s, now), fp
	}
	return nil, fp
}

// reverify says what makes a VSA that is not taken one that is.
const reverify = "a new `gate verify IMAGE --env ENV --attest-vsa --key KEY` by a fastPath role would be taken"

// errOtherEnvironment marks a VSA about another environment than the one deciding.
var errOtherEnvironment = errors.New("about another environment")

// vsaFor reads and verifies the VSA a locates, and says why it cannot stand
// for a verification of d in e now; its evidence and summary when it can.
func (v *Verifier) vsaFor(ctx context.Context, e *config.Environment, d name.Digest, a oci.Attestation, budget *oci.Budget, now time.Time) (*verify.Evidence, attestations.Summary, error) {
	var s attestations.Summary
	l, err := v.client.Locate(ctx, d, a, budget)
	if err != nil {
		return nil, s, err
	}
	raw := l.Content
	if raw == nil {
		if raw, err = v.client.ReadBlob(ctx, d, l.Blob, budget); err != nil {
			return nil, s, err
		}
	}
	ev, err := v.check(v.trust, a, raw, d.DigestStr())
	if err != nil {
		return nil, s, err
	}
	if ev.PredicateType != attestations.VSAType {
		return nil, s, fmt.Errorf("annotated as a VSA, signed as a %s", ev.PredicateType)
	}
	if s, err = vsaSummary(ev); err != nil {
		return nil, s, err
	}
	age := now.Sub(s.Time)
	switch {
	case s.Environment != e.Name:
		return nil, s, fmt.Errorf("%w (%s)", errOtherEnvironment, s.Environment)
	case !slices.Contains(e.FastPath.Roles, ev.Signer.Role):
		return nil, s, fmt.Errorf("signed by %s of role %s, which is not in environments.%s.fastPath.roles (%s)", ev.Signer.Name, ev.Signer.Role, e.Name, strings.Join(e.FastPath.Roles, ", "))
	case !s.Passed:
		return nil, s, errors.New("FAILED: a VSA never denies, the full verification decides")
	case s.PolicyVersion != e.Policy.Version():
		return nil, s, fmt.Errorf("verified under policy %s, and %s applies %s now: %s", s.PolicyVersion, e.Name, e.Policy.Version(), reverify)
	case age < -vsaSkew:
		return nil, s, fmt.Errorf("verified at %s, in the future (the verifier's clock is ahead by %s)", s.Time.UTC().Format(time.RFC3339), -age.Round(time.Second))
	case age > e.FastPath.MaxAge:
		return nil, s, fmt.Errorf("verified at %s, more than environments.%s.fastPath.maxAge (%s) ago: %s", s.Time.UTC().Format(time.RFC3339), e.Name, e.FastPath.MaxAge, reverify)
	}
	return ev, s, nil
}

// vsaSummary reads the summary of ev, a verified VSA, from its predicate as signed.
func vsaSummary(ev *verify.Evidence) (attestations.Summary, error) {
	return attestations.ReadVSA(ev.Raw)
}

// newerReferrer says which referrer of d, or of one of plats (an index's
// platforms, each listed), is newer than the VSA a, which says s; nil when
// none is (see takeVSA).
func (v *Verifier) newerReferrer(ctx context.Context, d name.Digest, all []oci.Attestation, plats []oci.Platform, a oci.Attestation, s attestations.Summary, otherEnv map[string]bool) error {
	inputs := map[string]bool{location(a): true}
	for _, in := range s.Inputs {
		inputs[in.Digest] = true
	}
	since := s.Time.Add(-vsaSkew)
	newer := func(list []oci.Attestation) error {
		for _, r := range list {
			if inputs[location(r)] || otherEnv[location(r)] {
				continue
			}
			t := r.CreatedAt
			if t.IsZero() || t.After(since) {
				kind := cmp.Or(r.PredicateType, "attestation of no annotated type")
				at := cmp.Or(r.Created, "an unknown time")
				return fmt.Errorf("referrer %s (%s) was pushed at %s, after or about when the VSA was signed (%s): it could be a NOGO, so the image is verified in full; %s", location(r), kind, at, s.Time.UTC().Format(time.RFC3339), reverify)
			}
		}
		return nil
	}
	if err := newer(all); err != nil {
		return err
	}
	for _, p := range plats {
		list, err := v.list(ctx, p.Digest)
		if err != nil {
			return fmt.Errorf("listing the referrers of platform %s: %w", p.Name, err)
		}
		if err := newer(list); err != nil {
			return fmt.Errorf("platform %s: %w", p.Name, err)
		}
	}
	return nil
}

// vsaDecision is the decision the VSA a, verified as ev and saying s, stands
// for: blessed, with the VSA as its one evidence and gate.
func vsaDecision(e *config.Environment, d name.Digest, a oci.Attestation, ev *verify.Evidence, s attestations.Summary, now time.Time) *Decision {
	reason := fmt.Sprintf("blessed by VSA %s, signed by %s (role %s), verified at %s under this policy version; its evidence was not verified again",
		a.Manifest, ev.Signer.Name, ev.Signer.Role, s.Time.UTC().Format(time.RFC3339))
	return &Decision{
		Image: d.String(), Digest: d.DigestStr(), Environment: e.Name, PolicyVersion: e.Policy.Version(), Time: now.UTC(), Allowed: true,
		Gates:    []policy.Gate{{Name: VSAGate, Passed: true, Reason: reason}},
		Evidence: []UsedEvidence{{Source: a.Source, Location: location(a), PredicateType: ev.PredicateType, Signer: ev.Signer}},
		Rejected: []Rejected{},
		// The record's input is what the decision rested on: the VSA alone.
		Input: &policy.Input{Subject: policy.Subject{Digest: d.DigestStr(), Reference: d.String()}, Environment: e.Name, Now: now.UTC(),
			Evidence: []policy.Evidence{{PredicateType: ev.PredicateType, Signer: policy.Signer{Role: ev.Signer.Role, Identity: ev.Signer.Identity, Name: ev.Signer.Name}, Predicate: ev.Predicate, SignedAt: ev.SignedAt}}},
	}
}
