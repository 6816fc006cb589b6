package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Decision is the whole answer to "is this image blessed here?".
type Decision struct {
	Image         string         `json:"image"`
	Digest        string         `json:"digest"`
	Environment   string         `json:"environment"`
	PolicyVersion string         `json:"policyVersion"`
	Time          time.Time      `json:"time"`
	Allowed       bool           `json:"allowed"`
	Gates         []policy.Gate  `json:"gates"`
	Evidence      []UsedEvidence `json:"evidence"`
	Rejected      []Rejected     `json:"rejected"`
	Input         *policy.Input  `json:"-"`
	// Kind is the media type of the manifest decided, as the caller told
	// VerifyResolved or gate read it; "" when neither knows (a manifest the
	// registry lacks). A digest's manifest never changes, so a caller may
	// keep it by digest and tell VerifyResolved next time.
	Kind types.MediaType `json:"-"`
}

// UsedEvidence is a verified attestation the policy saw.
type UsedEvidence struct {
	Source        oci.Source    `json:"source"`
	Location      string        `json:"location"`
	PredicateType string        `json:"predicateType"`
	Signer        verify.Signer `json:"signer"`
}

// Rejected is an attestation that did not count, and why.
type Rejected struct {
	Source        oci.Source `json:"source"`
	Location      string     `json:"location"`
	PredicateType string     `json:"predicateType,omitempty"` // as the registry annotates it
	Reason        string     `json:"reason"`
	Err           error      `json:"-"`
}

// Verify decides whether the image ref names is blessed in env (the
// config's default for ""). A denial is a Decision with Allowed false; an
// error means gate could not decide, and callers must treat it as a denial.
func Verify(ctx context.Context, c *oci.Client, cfg *config.Config, env, ref string, now time.Time) (*Decision, error) {
	return VerifyAlso(ctx, c, cfg, env, ref, now, nil)
}

// VerifyAlso is Verify that also gathers verified evidence of the predicate
// types in also, which the environment's policy does not read, into
// Decision.Input: so that another policy (gate policy diff compares two)
// decides on the same evidence.
func VerifyAlso(ctx context.Context, c *oci.Client, cfg *config.Config, env, ref string, now time.Time, also []string) (*Decision, error) {
	if err := environmentReady(cfg, env); err != nil {
		return nil, err
	}
	d, kind, err := c.ResolveKind(ctx, ref)
	if err != nil {
		return nil, policyFirst(cfg, env, err)
	}
	return verifyResolved(ctx, c, cfg, env, d, kind, ref, now, also)
}

// VerifyResolved is VerifyAlso for a digest whose manifest's media type
// the caller already knows, as the HEAD that resolved a tag tells it
// (oci.Client.ResolveKind): an image's evidence is then gathered without
// the request that reads its manifest to tell an index from an image. ref
// is how the decision names the image; kind "" means unknown, and costs
// that request.
func VerifyResolved(ctx context.Context, c *oci.Client, cfg *config.Config, env string, d name.Digest, kind types.MediaType, ref string, now time.Time, also []string) (*Decision, error) {
	if err := environmentReady(cfg, env); err != nil {
		return nil, err
	}
	return verifyResolved(ctx, c, cfg, env, d, kind, ref, now, also)
}

// environmentReady refuses, before any request, an environment that is not
// one of cfg's or whose policy failed; one still compiling (a config loaded
// with config.Background) is ready enough.
func environmentReady(cfg *config.Config, env string) error {
	if cfg.Compiling(env) {
		return nil
	}
	_, err := cfg.Environment(env)
	return err
}

// policyFirst returns the error preparing env's policy met, if it met one,
// and err otherwise: a policy that does not compile is the first thing to
// fix, whatever the registry answered meanwhile.
func policyFirst(cfg *config.Config, env string, err error) error {
	if _, perr := cfg.Environment(env); perr != nil {
		return perr
	}
	return err
}

func verifyResolved(ctx context.Context, c *oci.Client, cfg *config.Config, env string, d name.Digest, kind types.MediaType, ref string, now time.Time, also []string) (*Decision, error) {
	v := NewVerifier(c, cfg)
	var e *config.Environment
	var read []string
	// policyTypes waits for env's policy (once) and returns what to read.
	policyTypes := func() ([]string, error) {
		if e == nil {
			var err error
			if e, err = cfg.Environment(env); err != nil {
				return nil, err
			}
			read = append(e.Policy.PredicateTypes(), also...)
		}
		return read, nil
	}
	var g *Gathered
	gather := func(ctx context.Context) error {
		read, err := policyTypes()
		if err != nil {
			return err
		}
		g, err = v.Gather(ctx, d, read)
		return err
	}
	if cfg.Compiling(env) {
		// The registry is read while the policy compiles.
		gather = func(ctx context.Context) (err error) { g, err = v.gatherCompiling(ctx, d, policyTypes); return err }
	}
	plats, kind, err := platformsUnless(ctx, c, d, kind, gather)
	if err != nil {
		return nil, policyFirst(cfg, env, err)
	}
	if _, err := policyTypes(); err != nil {
		return nil, err
	}
	dec, err := decideAll(ctx, v, e, g, plats, read, ref, now)
	if err != nil {
		return nil, err
	}
	dec.Kind = kind
	return dec, nil
}

// platformsUnless runs also and, unless kind (the media type of d's manifest,
// "" when unknown) says d is an image, reads d's platforms and kind meanwhile:
// the digest's own evidence is needed either way. An image known as one costs
// no request to ask again.
func platformsUnless(ctx context.Context, c *oci.Client, d name.Digest, kind types.MediaType, also func(context.Context) error) ([]oci.Platform, types.MediaType, error) {
	if kind != "" && !kind.IsIndex() {
		return nil, kind, also(ctx)
	}
	return platformsWhile(ctx, c, d, also)
}

// decideAll decides an index over its platforms (decideIndex) and an image
// (no platforms) over its own evidence (Decide).
func decideAll(ctx context.Context, v *Verifier, e *config.Environment, g *Gathered, plats []oci.Platform, read []string, ref string, now time.Time) (*Decision, error) {
	if len(plats) > 0 {
		return decideIndex(ctx, v, e, g, plats, read, ref, now)
	}
	return Decide(ctx, e, g, ref, now)
}

// platformsWhile reads the platforms of d and the media type of its
// manifest (oci.Client.PlatformsKind) while also runs. A manifest the
// registry lacks is decided as an image, on whatever evidence names its
// digest (denied for want of it, as before indexes), and its kind is "".
func platformsWhile(ctx context.Context, c *oci.Client, d name.Digest, also func(context.Context) error) ([]oci.Platform, types.MediaType, error) {
	var plats []oci.Platform
	var kind types.MediaType
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error { return also(ectx) })
	eg.Go(func() (err error) {
		if plats, kind, err = c.PlatformsKind(ectx, d); errors.Is(err, oci.ErrNotFound) {
			return nil
		}
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, "", err
	}
	return plats, kind, nil
}

// Decide evaluates e's policy over the evidence g gathered about the image
// ref names. A denial is a Decision with Allowed false; an error means the
// policy could not be evaluated.
func Decide(ctx context.Context, e *config.Environment, g *Gathered, ref string, now time.Time) (*Decision, error) {
	digest := g.Digest.DigestStr()
	dec := &Decision{Image: ref, Digest: digest, Environment: e.Name, PolicyVersion: e.Policy.Version(), Time: now.UTC(), Rejected: g.Rejected, Evidence: []UsedEvidence{}}
	in := &policy.Input{Subject: policy.Subject{Digest: digest, Reference: ref}, Environment: e.Name, Now: now.UTC(), Evidence: []policy.Evidence{}}
	for _, v := range g.Evidence {
		dec.Evidence = append(dec.Evidence, v.UsedEvidence)
		in.Evidence = append(in.Evidence, policy.Evidence{
			PredicateType: v.PredicateType,
			Signer:        policy.Signer{Role: v.Signer.Role, Identity: v.Signer.Identity, Name: v.Signer.Name},
			Predicate:     v.Predicate,
			SignedAt:      v.SignedAt,
		})
	}
	pd, err := e.Policy.Evaluate(ctx, *in)
	if err != nil {
		return nil, err
	}
	dec.Allowed, dec.Gates, dec.Input = pd.Allowed, pd.Gates, in
	// Fail closed: what was not read could have been a NOGO.
	if n := g.NotRead(); n > 0 {
		dec.Allowed = false
		dec.Gates = append(dec.Gates, policy.Gate{Name: "evidence/unread", Reason: fmt.Sprintf(
			"%d attestations were not read (over the read budget or the count gate reads, listed as rejected): any could be a NOGO, so nothing is blessed until the referrers that are junk are removed from the registry", n)})
	}
	return dec, nil
}
