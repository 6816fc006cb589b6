package chart

import (
	"fmt"
	"io"
	"strings"

	"github.com/gatehq/gate/pkg/gate"
)

// WriteText writes d as a person reads it: the verdict for the release,
// then the chart and each image with its own verdict, the digest a tag
// resolved to, where the chart runs it, and each failed gate with its
// reason and what to do next.
func WriteText(w io.Writer, d *Decision) error {
	verdict := "NOT BLESSED"
	switch {
	case d.Undecided():
		verdict = "COULD NOT DECIDE"
	case d.Allowed:
		verdict = "BLESSED"
	}
	fmt.Fprintf(w, "%s  %s with the %d images it renders, in %s\n", verdict, d.Chart.Image, len(d.Images), d.Environment)
	writeSubject(w, "chart", d.Chart, "", false)
	if len(d.Images) == 0 {
		fmt.Fprintf(w, "  (the chart renders no workload, so no image)\n")
	}
	for _, im := range d.Images {
		where := "in " + strings.Join(im.Places, ", ")
		if im.Err != nil {
			fmt.Fprintf(w, "  image  COULD NOT DECIDE  %s  %s\n      %v\n", im.Image, where, im.Err)
			continue
		}
		writeSubject(w, "image", im.Decision, where, im.ByTag)
	}
	if !d.Allowed && !d.Undecided() {
		_, err := fmt.Fprintf(w, "  the release is blessed only when the chart and every image it renders are: gate verify each one NOT BLESSED above for its full evidence\n")
		return err
	}
	return nil
}

func writeSubject(w io.Writer, what string, d *gate.Decision, where string, byTag bool) {
	verdict := "NOT BLESSED"
	if d.Allowed {
		verdict = "BLESSED"
	}
	fmt.Fprintf(w, "  %s  %s  %s", what, verdict, d.Image)
	if where != "" {
		fmt.Fprintf(w, "  %s", where)
	}
	note := ""
	if byTag {
		note = " (the chart names a tag, resolved to this digest now; a tag can move: pin the image by digest in the chart's values)"
	}
	fmt.Fprintf(w, "\n      digest %s%s\n", d.Digest, note)
	for _, g := range d.Gates {
		if g.Passed {
			continue
		}
		fmt.Fprintf(w, "      FAIL %s: %s\n", g.Name, g.Reason)
		if g.Next != "" {
			fmt.Fprintf(w, "        next: %s\n", g.Next)
		}
	}
	if len(d.Gates) == 0 {
		fmt.Fprintf(w, "      FAIL (none): the policy checked no gate, and nothing is blessed on no evidence\n")
	}
	if len(d.Rejected) > 0 {
		fmt.Fprintf(w, "      %d attestations rejected (gate verify %s says why)\n", len(d.Rejected), d.Image)
	}
}
