package admit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatehq/gate/pkg/policy"
)

// maxReason bounds one gate's reason in a message, so that a denial stays one or two lines of
// kubectl's output however verbose a policy is.
const maxReason = 160

// Explain says in one line why r is refused, naming the image, the environment, the gate that
// failed and why (with the other failed gates named after it); "" when r is allowed.
func (r Result) Explain() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("image %s could not be verified, so it is refused: %s", r.Image, oneLine(r.Err.Error(), 2*maxReason))
	case r.Allowed():
		return ""
	}
	d := r.Decision
	var failed []string
	first := ""
	// A stakeholder's NOGO, when there is one, is what a person most needs to
	// read: it leads, whatever order the policy gives its gates.
	gates := slices.Clone(d.Gates)
	slices.SortStableFunc(gates, func(a, b policy.Gate) int {
		return boolRank(!a.Passed && a.Name == nogoGate) - boolRank(!b.Passed && b.Name == nogoGate)
	})
	for _, g := range gates {
		if g.Passed {
			continue
		}
		if first == "" {
			first = fmt.Sprintf("gate %s failed: %s", g.Name, oneLine(g.Reason, maxReason))
			if g.Next != "" {
				first += "; next: " + oneLine(g.Next, maxReason)
			}
			continue
		}
		failed = append(failed, g.Name)
	}
	if first == "" {
		first = "the policy checked no gate, and nothing is blessed on no evidence"
	}
	image := r.Image
	if !strings.Contains(image, d.Digest) { // a tag: say which digest was judged
		image += " (" + short(d.Digest) + ")"
	}
	msg := fmt.Sprintf("image %s is not blessed for %s: %s", image, d.Environment, first)
	if len(failed) > 0 {
		msg += " (also failed: " + strings.Join(failed, ", ") + ")"
	}
	return msg
}

// nogoGate is the shipped policy's gate for a standing NOGO.
const nogoGate = "nogo"

func boolRank(b bool) int {
	if b {
		return -1
	}
	return 0
}

func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

// short abbreviates a digest as people recognise it: the algorithm and 12 hex digits.
func short(digest string) string {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok || len(hex) <= 12 {
		return digest
	}
	return alg + ":" + hex[:12]
}
