package release

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/policy"
)

// Vote is one verified GO or NOGO. Only signed, verified approvals become
// votes: a rejected one is listed with the row's rejections, never here.
type Vote struct {
	Role     string    `json:"role"`
	Signer   string    `json:"signer"` // as the trust config names the key, or the certificate identity
	Decision string    `json:"decision"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Expires  time.Time `json:"expires,omitzero"` // zero: only the policy's maximum age applies
	Expired  bool      `json:"expired"`
	Waivers  []string  `json:"waivers,omitempty"`
}

// fill completes row from its gathered evidence and decisions.
func fill(row *Row, g *gathered, now time.Time) {
	row.Rejected, row.Evidence = g.rejected, g.used
	row.Votes = []Vote{}
	for _, ev := range g.evidence {
		switch ev.PredicateType {
		case attestations.ApprovalType:
			if v, ok := vote(ev, now); ok {
				row.Votes = append(row.Votes, v)
			}
		case attestations.ProvenanceType:
			if t := built(ev); t.After(row.Built) {
				row.Built = t
			}
		}
	}
	slices.SortFunc(row.Votes, func(a, b Vote) int {
		if c := strings.Compare(a.Role, b.Role); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	for _, d := range g.decisions {
		v := Verdict{Environment: d.Environment, PolicyVersion: d.PolicyVersion, Blessed: d.Allowed, Rollback: rollback(d), Gates: d.Gates, Missing: []Gap{}}
		shown := map[string]bool{} // sre's GO closes both approval/sre and sre's NOGO: say it once
		for _, gt := range d.Gates {
			if gt.Passed {
				continue
			}
			cmd := Remedy(row.Reference, gt, row.Votes)
			if shown[cmd] {
				cmd = ""
			}
			shown[cmd] = true
			v.Missing = append(v.Missing, Gap{Gate: gt, Command: cmd})
		}
		row.Verdicts = append(row.Verdicts, v)
	}
}

// vote reads a verified approval. An approval whose predicate does not read
// as one is not a vote; the policy sees it as it is, and says so.
func vote(ev policy.Evidence, now time.Time) (Vote, bool) {
	raw, err := json.Marshal(ev.Predicate)
	if err != nil {
		return Vote{}, false
	}
	var a attestations.Approval
	if err := json.Unmarshal(raw, &a); err != nil || a.Decision == "" {
		return Vote{}, false
	}
	who := ev.Signer.Name
	if who == "" {
		who = ev.Signer.Identity
	}
	return Vote{
		Role: ev.Signer.Role, Signer: who, Decision: a.Decision, Reason: a.Reason,
		At: a.ApprovedAt, Expires: a.ExpiresAt, Expired: !a.ExpiresAt.IsZero() && !a.ExpiresAt.After(now),
		Waivers: a.Waivers,
	}, true
}

// built reads when a SLSA provenance says its build finished (or, lacking
// that, started).
func built(ev policy.Evidence) time.Time {
	run, _ := ev.Predicate["runDetails"].(map[string]any)
	meta, _ := run["metadata"].(map[string]any)
	for _, k := range []string{"finishedOn", "startedOn"} {
		if s, ok := meta[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}
