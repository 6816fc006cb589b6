package release

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// timeFormat is how the table shows a time: to the minute, in UTC, as a
// meeting across time zones reads it.
const timeFormat = "2006-01-02 15:04 UTC"

// WriteText writes t as a person reads it: per digest, its tags and build
// time, its verdict in each environment with each missing gate, its reason
// and the command that would close it, then the votes.
func WriteText(w io.Writer, t *Table) error {
	fmt.Fprintf(w, "%s: %d digests, newest build first; environments %s\n", t.Repository, len(t.Rows), strings.Join(t.Environments, ", "))
	for _, f := range t.Freezes {
		until := "until gate unfreeze"
		if !f.Until.IsZero() {
			until = "until " + when(f.Until, "")
		}
		fmt.Fprintf(w, "  FROZEN %s by %s (%s) since %s, %s: %q\n", f.Environment, f.Role, f.Signer, when(f.Since, "?"), until, f.Reason)
		fmt.Fprintf(w, "         only rollbacks are admitted there: the digests marked rollback target (blessed before the freeze)\n")
	}
	if len(t.Rows) == 0 {
		fmt.Fprintf(w, "  no tag names an image here: push one, or check the repository's name\n")
	}
	for _, r := range t.Rows {
		if err := writeRow(w, r); err != nil {
			return err
		}
	}
	return nil
}

func writeRow(w io.Writer, r Row) error {
	tags := strings.Join(r.Tags, ", ")
	if tags == "" {
		tags = "(untagged)"
	}
	fmt.Fprintf(w, "\n%s\n  tags   %s\n  built  %s\n", r.Reference, tags, when(r.Built, "unknown (no verified provenance)"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range r.Verdicts {
		if v.Blessed && v.Rollback {
			fmt.Fprintf(tw, "  %s\tBLESSED\trollback target: blessed before the freeze\n", v.Environment)
			continue
		}
		if v.Blessed {
			fmt.Fprintf(tw, "  %s\tBLESSED\t\n", v.Environment)
			continue
		}
		fmt.Fprintf(tw, "  %s\tNOT BLESSED\t%d gates missing\n", v.Environment, len(v.Missing))
		for _, g := range v.Missing {
			fmt.Fprintf(tw, "  \t  %s\t%s\n", g.Name, g.Reason)
			for _, c := range strings.Split(g.Command, "\n") {
				if c != "" {
					fmt.Fprintf(tw, "  \t\t$ %s\n", c)
				}
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Votes) == 0 {
		fmt.Fprintf(w, "  votes  none\n")
	}
	for _, v := range r.Votes {
		exp := "no expiry (the policy's maximum age applies)"
		if !v.Expires.IsZero() {
			exp = "expires " + when(v.Expires, "")
			if v.Expired {
				exp = "EXPIRED " + when(v.Expires, "")
			}
		}
		fmt.Fprintf(w, "  vote   %-4s %s by %s at %s, %s: %q\n", v.Decision, v.Role, v.Signer, when(v.At, "?"), exp, v.Reason)
	}
	if n := len(r.Rejected); n > 0 {
		fmt.Fprintf(w, "  %d attestations rejected (not counted): gate verify %s shows why\n", n, r.Reference)
	}
	return nil
}

func when(t time.Time, unknown string) string {
	if t.IsZero() {
		return unknown
	}
	return t.UTC().Format(timeFormat)
}
