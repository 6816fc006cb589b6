package release

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// always are the predicate types a row reads for itself, whatever the
// environments' policies read: the votes, and the build time.
var always = []string{attestations.ApprovalType, attestations.ProvenanceType}

// gathered is one digest's verified evidence and its decision in each environment.
type gathered struct {
	evidence  []policy.Evidence
	used      []gate.UsedEvidence // where each of evidence is stored, in the same order
	rejected  []gate.Rejected
	decisions []*gate.Decision // in the order of the environments asked for
}

// gather verifies the evidence of d, whose manifest is of kind ("":
// unknown), once (a single listing, each bundle fetched once, with gate
// verify's own verification) and decides d in each environment over it. It is the only place this package calls pkg/gate:
// when gate's Verifier lands, its body becomes one Gather and one decide
// per environment.
func gather(ctx context.Context, c *oci.Client, cfg *config.Config, d name.Digest, kind types.MediaType, envs []*config.Environment, now time.Time) (*gathered, error) {
	var reads []string
	for _, e := range envs {
		reads = append(reads, e.Policy.PredicateTypes()...)
	}
	reads = append(reads, always...)
	slices.Sort(reads)
	reads = slices.Compact(reads)
	// Any environment serves to gather: its decision is taken again below,
	// over the evidence its own policy reads, like every other environment's.
	first, err := gate.VerifyResolved(ctx, c, cfg, envs[0].Name, d, kind, d.String(), now, reads)
	if err != nil {
		return nil, err
	}
	g := &gathered{evidence: first.Input.Evidence, used: first.Evidence, rejected: first.Rejected}
	for i, e := range envs {
		if i == 0 && readsAll(e, reads) {
			// VerifyAlso decided over exactly what e's policy reads: its decision stands.
			g.decisions = append(g.decisions, first)
			continue
		}
		dec, err := decide(ctx, first, e)
		if err != nil {
			return nil, fmt.Errorf("deciding %s in %s: %w", d.DigestStr(), e.Name, err)
		}
		g.decisions = append(g.decisions, dec)
	}
	return g, nil
}

// readsAll says whether e's policy reads every one of types.
func readsAll(e *config.Environment, types []string) bool {
	reads := e.Policy.PredicateTypes()
	for _, t := range types {
		if !slices.Contains(reads, t) {
			return false
		}
	}
	return true
}

// decide evaluates e's policy over the evidence in base of the predicate
// types e's policy reads: the input gate verify gives that policy.
func decide(ctx context.Context, base *gate.Decision, e *config.Environment) (*gate.Decision, error) {
	reads := e.Policy.PredicateTypes()
	in := *base.Input
	in.Environment = e.Name
	in.Evidence = nil
	used := []gate.UsedEvidence{}
	for i, ev := range base.Input.Evidence {
		if slices.Contains(reads, ev.PredicateType) {
			in.Evidence = append(in.Evidence, ev)
			used = append(used, base.Evidence[i])
		}
	}
	if in.Evidence == nil {
		in.Evidence = []policy.Evidence{}
	}
	pd, err := e.Policy.Evaluate(ctx, in)
	if err != nil {
		return nil, err
	}
	dec := *base
	dec.Environment, dec.PolicyVersion = e.Name, e.Policy.Version()
	dec.Allowed, dec.Gates, dec.Evidence, dec.Input = pd.Allowed, pd.Gates, used, &in
	return &dec, nil
}
