package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/release"
	"github.com/slack-go/slack"
)

// maxReason bounds one gate's reason in the table, so a message stays a glance.
const maxReason = 80

// snapshot is what was announced of one row.
type snapshot struct {
	evidence map[string]string // location → what it is, for people
	blessed  map[string]bool   // environment → blessed
}

func snapshotOf(row release.Row) *snapshot {
	s := &snapshot{evidence: map[string]string{}, blessed: map[string]bool{}}
	for _, ev := range row.Evidence {
		what := kind(ev.PredicateType) + " by " + ev.Signer.Role
		if ev.PredicateType == attestations.ApprovalType {
			what = "a vote by " + ev.Signer.Role
			for _, v := range row.Votes {
				if v.Signer == ev.Signer.Name && v.Role == ev.Signer.Role {
					what = fmt.Sprintf("%s from %s (%s): %q", v.Decision, v.Role, v.Signer, v.Reason)
				}
			}
		}
		s.evidence[ev.Location] = what
	}
	for _, v := range row.Verdicts {
		s.blessed[v.Environment] = v.Blessed
	}
	return s
}

func (s *snapshot) differs(prev *snapshot) bool {
	return !maps.Equal(s.blessed, prev.blessed) || len(landed(prev, s)) > 0
}

// landed lists what now has that prev had not, sorted.
func landed(prev, now *snapshot) []string {
	var out []string
	for loc, what := range now.evidence {
		if prev == nil || prev.evidence[loc] == "" {
			out = append(out, what)
		}
	}
	slices.Sort(out)
	return out
}

func kind(predicateType string) string {
	for k, t := range attestations.Kinds {
		if t == predicateType {
			return k
		}
	}
	return predicateType
}

// message says what landed on row and what flipped, with its gates as a compact table.
func message(repo string, row release.Row, prev, now *snapshot) *slack.WebhookMessage {
	var b strings.Builder
	name := row.Reference
	if len(row.Tags) > 0 {
		name = repo + ":" + strings.Join(row.Tags, ",") + " (" + short(row.Digest) + ")"
	}
	if prev == nil {
		fmt.Fprintf(&b, "*%s*: new digest\n", esc(name))
	} else {
		fmt.Fprintf(&b, "*%s*\n", esc(name))
	}
	for _, what := range landed(prev, now) {
		fmt.Fprintf(&b, "• landed: %s\n", esc(what))
	}
	for _, v := range row.Verdicts {
		was, known := false, false
		if prev != nil {
			was, known = prev.blessed[v.Environment]
		}
		switch {
		case v.Blessed && (!known || !was):
			fmt.Fprintf(&b, "• now BLESSED in %s\n", v.Environment)
		case !v.Blessed && known && was:
			fmt.Fprintf(&b, "• no longer blessed in %s\n", v.Environment)
		}
	}
	b.WriteString("```\n")
	for _, v := range row.Verdicts {
		verdict := "not blessed"
		if v.Blessed {
			verdict = "BLESSED"
		}
		fmt.Fprintf(&b, "%-12s %s\n", v.Environment, verdict)
		for _, g := range v.Gates {
			mark := "ok  "
			if !g.Passed {
				mark = "FAIL"
			}
			fmt.Fprintf(&b, "  %s %-22s %s\n", mark, g.Name, esc(clip(g.Reason)))
		}
	}
	b.WriteString("```\n")
	for _, v := range row.Verdicts {
		for _, gap := range v.Missing {
			if gap.Command != "" {
				fmt.Fprintf(&b, "To close %s in %s: `%s`\n", gap.Name, v.Environment, esc(gap.Command))
			}
		}
	}
	return &slack.WebhookMessage{Text: b.String()}
}

// esc escapes what Slack's and Mattermost's markup would read as a link or a mention.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReason {
		return s[:maxReason] + "…"
	}
	return s
}

func short(digest string) string {
	if alg, hex, ok := strings.Cut(digest, ":"); ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return digest
}
