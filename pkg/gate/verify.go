package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/verify"
	"golang.org/x/sync/errgroup"
)

// fetchConcurrency bounds parallel bundle fetches per verify: enough to hide
// a registry's latency for the handful of bundles a policy needs, few enough
// not to look like an attack to the registry.
const fetchConcurrency = 8

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
	e, err := cfg.Environment(env)
	if err != nil {
		return nil, err
	}
	d, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	all, err := c.List(ctx, d)
	if err != nil {
		return nil, err
	}
	if !cfg.Legacy {
		all = dropLegacy(all)
	}
	needed := map[string]bool{}
	for _, t := range append(e.Policy.PredicateTypes(), also...) {
		needed[t] = true
	}
	var todo []oci.Attestation
	for _, a := range all {
		// An attestation the registry does not annotate could be anything: fetch it.
		if a.PredicateType == "" || needed[a.PredicateType] {
			todo = append(todo, a)
		}
	}
	results := make([]result, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i, a := range todo {
		g.Go(func() error {
			raw, err := c.Fetch(gctx, d, a)
			if err != nil {
				return err
			}
			results[i] = check(cfg.Trust, a, raw, d.DigestStr())
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("fetching attestations of %s: %w", d, err)
	}
	dec := &Decision{Image: ref, Digest: d.DigestStr(), Environment: e.Name, PolicyVersion: e.Policy.Version(), Time: now.UTC(), Rejected: []Rejected{}, Evidence: []UsedEvidence{}}
	in := &policy.Input{Subject: policy.Subject{Digest: d.DigestStr(), Reference: ref}, Environment: e.Name, Now: now.UTC(), Evidence: []policy.Evidence{}}
	for i, r := range results {
		loc := todo[i].Manifest.String()
		if todo[i].Source == oci.Legacy {
			loc = todo[i].Blob.String()
		}
		if r.err != nil {
			dec.Rejected = append(dec.Rejected, Rejected{Source: todo[i].Source, Location: loc, PredicateType: todo[i].PredicateType, Reason: r.err.Error(), Err: r.err})
			continue
		}
		dec.Evidence = append(dec.Evidence, UsedEvidence{Source: todo[i].Source, Location: loc, PredicateType: r.ev.PredicateType, Signer: r.ev.Signer})
		in.Evidence = append(in.Evidence, policy.Evidence{
			PredicateType: r.ev.PredicateType,
			Signer:        policy.Signer{Role: r.ev.Signer.Role, Identity: r.ev.Signer.Identity, Name: r.ev.Signer.Name},
			Predicate:     r.ev.Predicate,
		})
	}
	pd, err := e.Policy.Evaluate(ctx, *in)
	if err != nil {
		return nil, err
	}
	dec.Allowed, dec.Gates, dec.Input = pd.Allowed, pd.Gates, in
	return dec, nil
}

type result struct {
	ev  *verify.Evidence
	err error
}

func check(t *verify.Trust, a oci.Attestation, raw []byte, digest string) result {
	var ev *verify.Evidence
	var err error
	if a.Source == oci.Legacy {
		ev, err = t.Envelope(raw, digest)
	} else {
		ev, err = t.Bundle(raw, digest)
	}
	if err != nil {
		return result{err: err}
	}
	if ev.PredicateType == attestations.CosignVulnType {
		if err := normalizeCosignVuln(ev); err != nil {
			return result{err: err}
		}
	}
	if err := normalizeSBOM(ev); err != nil { // hook: SBOMs reach the policy as report.SBOMSummary
		return result{err: err}
	}
	return result{ev: ev}
}

// normalizeCosignVuln rewrites the predicate of cosign's vuln attestation,
// whose scanner.result is the scanner's raw report, into the vulns v0.2
// shape the policy reads, so that both kinds of scan count alike.
func normalizeCosignVuln(ev *verify.Evidence) error {
	raw, err := json.Marshal(ev.Predicate)
	if err != nil {
		return err
	}
	v, err := report.NormalizeCosignVuln(raw)
	if err != nil {
		return fmt.Errorf("%w: cosign vuln predicate: %w", verify.ErrMalformed, err)
	}
	raw, err = json.Marshal(v)
	if err != nil {
		return err
	}
	ev.Predicate = nil
	return json.Unmarshal(raw, &ev.Predicate)
}

func dropLegacy(all []oci.Attestation) []oci.Attestation {
	out := all[:0]
	for _, a := range all {
		if a.Source != oci.Legacy {
			out = append(out, a)
		}
	}
	return out
}
