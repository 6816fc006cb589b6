package release

import (
	"fmt"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/policy"
)

// Remedy returns the command that would close a failed gate of the image
// ref (REPO@DIGEST) under the shipped policy's gate names, or "" when no
// command can (a gate of another policy, or one only a new build closes).
// votes are the image's verified votes: a NOGO is lifted only by a later GO
// of the role that said it.
func Remedy(ref string, g policy.Gate, votes []Vote) string {
	name, arg, _ := strings.Cut(g.Name, "/")
	switch name {
	case "approval":
		return approve(ref, arg)
	case "nogo":
		var cmds []string
		seen := map[string]bool{}
		for _, v := range latestNogos(votes) {
			if !seen[v.Role] {
				seen[v.Role] = true
				cmds = append(cmds, approve(ref, v.Role))
			}
		}
		return strings.Join(cmds, "\n")
	case "tests":
		return fmt.Sprintf("gate attest %s --key ci.key --report REPORT --stage %s", ref, arg)
	case "coverage":
		return fmt.Sprintf("gate attest %s --key ci.key --report cover.out", ref)
	case "vulnerabilities":
		return fmt.Sprintf("gate attest %s --key ci.key --report trivy.json", ref)
	case "provenance":
		return fmt.Sprintf("gate attest %s --key ci.key --provenance --builder-id … --build-type … --source … --commit …", ref)
	}
	return ""
}

func approve(ref, role string) string {
	return fmt.Sprintf("gate approve %s --key %s.key --role %s --decision go --reason …", ref, role, role)
}

// latestNogos are the votes that are their signer's latest and say NOGO.
func latestNogos(votes []Vote) []Vote {
	latest := map[string]Vote{}
	for _, v := range votes {
		k := v.Role + "\x00" + v.Signer
		if cur, ok := latest[k]; !ok || !v.At.Before(cur.At) {
			latest[k] = v
		}
	}
	var out []Vote
	for _, v := range votes {
		if l := latest[v.Role+"\x00"+v.Signer]; l.At.Equal(v.At) && v.Decision == attestations.DecisionNoGo {
			out = append(out, v)
		}
	}
	return out
}
