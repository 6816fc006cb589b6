package freeze

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/policy"
)

// BlessedBefore reports whether the digest whose verified evidence is in was blessed, by p,
// when the freeze began at since, and if not, why. It is judged from signatures alone, so that
// someone who can only push to the registry cannot make a new digest look old:
//   - the policy is evaluated as of since (approvals must have been valid then);
//   - an approval counts only if its signed approvedAt is not after since;
//   - evidence carrying a signed time (a scan's scanFinishedOn, a build's finishedOn) counts
//     only if that time is not after since; evidence with no time of its own (test results,
//     coverage) counts, since only a trusted signer can make it;
//   - and at least one GO must have been signed before the freeze, so that a policy that asks
//     no person is not satisfied by a pipeline that keeps attesting during the freeze.
func BlessedBefore(ctx context.Context, p *policy.Policy, in *policy.Input, since time.Time) (bool, string, error) {
	if in == nil {
		return false, "its evidence was not gathered", nil
	}
	before := policy.Input{Subject: in.Subject, Environment: in.Environment, Now: since, Evidence: []policy.Evidence{}}
	gos := 0
	for _, ev := range in.Evidence {
		t, timed := signedTime(ev)
		if ev.PredicateType == attestations.ApprovalType && !timed {
			continue // an approval with no time could be from any time
		}
		if timed && t.After(since) {
			continue
		}
		if ev.PredicateType == attestations.ApprovalType && ev.Predicate["decision"] == attestations.DecisionGo {
			gos++
		}
		before.Evidence = append(before.Evidence, ev)
	}
	if gos == 0 {
		return false, "no GO for it was signed before the freeze", nil
	}
	d, err := p.Evaluate(ctx, before)
	if err != nil {
		return false, "", fmt.Errorf("judging the digest as of the freeze: %w", err)
	}
	if d.Allowed {
		return true, "", nil
	}
	for _, g := range d.Gates {
		if !g.Passed {
			return false, fmt.Sprintf("as of the freeze, gate %s failed: %s", g.Name, g.Reason), nil
		}
	}
	return false, "it was not blessed as of the freeze", nil
}

// signedTime returns the time a piece of evidence says, under its signature, it was made.
func signedTime(ev policy.Evidence) (time.Time, bool) {
	var path []string
	switch ev.PredicateType {
	case attestations.ApprovalType:
		path = []string{"approvedAt"}
	case attestations.VulnsType:
		path = []string{"metadata", "scanFinishedOn"}
	case attestations.ProvenanceType:
		path = []string{"runDetails", "metadata", "finishedOn"}
	default:
		return time.Time{}, false
	}
	var v any = ev.Predicate
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return time.Time{}, false
		}
		v = m[k]
	}
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
