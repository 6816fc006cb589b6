package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
)

// decideIndex decides a multi-arch image, the index d, whose platform
// manifests are plats. Each platform is decided on the evidence of the
// index and its own together: evidence attached to the index covers every
// platform, and evidence attached to platforms counts only where it is.
// The index is blessed when every platform is, so evidence attached to
// platforms blesses the index only when all of them carry it. A platform
// digest named on its own is decided on its own evidence alone (Verify):
// the registry cannot say which indexes list a manifest.
func decideIndex(ctx context.Context, v *Verifier, e *config.Environment, index *Gathered, plats []oci.Platform, types []string, ref string, now time.Time) (*Decision, error) {
	d := index.Digest
	decisions := make([]*Decision, len(plats))
	for i, p := range plats {
		own, err := v.Gather(ctx, p.Digest, types)
		if err != nil {
			return nil, err
		}
		both := &Gathered{Digest: d,
			Evidence: append(append([]Verified{}, index.Evidence...), own.Evidence...),
			Rejected: append(append([]Rejected{}, index.Rejected...), own.Rejected...)}
		if decisions[i], err = Decide(ctx, e, both, ref, now); err != nil {
			return nil, err
		}
	}
	return merge(decisions, plats), nil
}

// merge makes the platforms' decisions one: allowed when all are; a gate
// passed when it passed on every platform, else failed with the reason
// (and next) of each platform it failed on. Its Input is the first
// platform's: a policy evaluated again over it (gate policy diff) decides
// that platform alone.
func merge(decisions []*Decision, plats []oci.Platform) *Decision {
	out := *decisions[0]
	out.Allowed, out.Gates = true, nil
	seenEv, seenRej := map[string]bool{}, map[string]bool{}
	out.Evidence, out.Rejected = []UsedEvidence{}, []Rejected{}
	type failure struct {
		reasons []string
		next    string
	}
	var order []string
	gates := map[string]*policy.Gate{}
	failed := map[string]*failure{}
	for i, d := range decisions {
		out.Allowed = out.Allowed && d.Allowed
		for _, u := range d.Evidence {
			if !seenEv[u.Location] {
				seenEv[u.Location] = true
				out.Evidence = append(out.Evidence, u)
			}
		}
		for _, r := range d.Rejected {
			if !seenRej[r.Location] {
				seenRej[r.Location] = true
				out.Rejected = append(out.Rejected, r)
			}
		}
		for _, g := range d.Gates {
			if gates[g.Name] == nil {
				order = append(order, g.Name)
				g := g
				gates[g.Name], failed[g.Name] = &g, &failure{}
			}
			if !g.Passed {
				f := failed[g.Name]
				f.reasons = append(f.reasons, plats[i].Name+": "+g.Reason)
				if f.next == "" {
					f.next = g.Next
				}
			}
		}
	}
	for _, name := range order {
		g, f := gates[name], failed[name]
		switch {
		case len(f.reasons) > 0:
			g.Passed, g.Reason, g.Next = false, strings.Join(f.reasons, "; "), f.next
		default:
			g.Next = ""
			g.Reason = fmt.Sprintf("%s (on each of %d platforms)", g.Reason, len(plats))
		}
		out.Gates = append(out.Gates, *g)
	}
	return &out
}
