package gate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes d as a person reads it: the verdict, each gate with its
// reason, and every attestation that did not count, with why.
func WriteText(w io.Writer, d *Decision) error {
	verdict := "NOT BLESSED"
	if d.Allowed {
		verdict = "BLESSED"
	}
	fmt.Fprintf(w, "%s  %s\n", verdict, d.Image)
	fmt.Fprintf(w, "  digest       %s\n  environment  %s\n  policy       %s\n", d.Digest, d.Environment, shortPolicy(d.PolicyVersion))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, g := range d.Gates {
		mark := "FAIL"
		if g.Passed {
			mark = "pass"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, g.Name, g.Reason)
		if !g.Passed && g.Next != "" {
			fmt.Fprintf(tw, "  \t\tnext: %s\n", g.Next)
		}
	}
	if len(d.Gates) == 0 {
		fmt.Fprintf(tw, "  FAIL\t(none)\tthe policy checked no gate, and nothing is blessed on no evidence\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  evidence: %d verified, %d rejected\n", len(d.Evidence), len(d.Rejected))
	for _, r := range d.Rejected {
		pt := r.PredicateType
		if pt == "" {
			pt = "(unannotated)"
		}
		fmt.Fprintf(w, "  rejected %s %s %s\n      %s\n", r.Source, shortDigest(r.Location), pt, r.Reason)
	}
	return nil
}

// shortPolicy is a policy version to read: a policy bundle's reference whole,
// since its digest is what an environment is pinned or rolled back to.
func shortPolicy(v string) string {
	if strings.HasPrefix(v, "oci://") {
		return v
	}
	return shortDigest(v)
}

func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}
