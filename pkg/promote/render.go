package promote

import (
	"fmt"
	"io"

	"github.com/gatehq/gate/pkg/gate"
)

// WriteText writes r as a person reads it: the source's decision, then
// what was copied where and what was left behind (never copied), and why.
func WriteText(w io.Writer, r *Result) error {
	if err := gate.WriteText(w, r.Source); err != nil {
		return err
	}
	if !r.Source.Allowed {
		_, err := fmt.Fprintf(w, "not promoted: nothing was copied to %s\n", r.To.Context())
		return err
	}
	fmt.Fprintf(w, "PROMOTED  %s\n  evidence: %d copied", r.To, len(r.Copied))
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, ", %d not copied (rejected at the source, listed above)", len(r.Skipped))
	}
	_, err := fmt.Fprintf(w, "\n  verified at the destination: blessed, every copied attestation counting there\n")
	return err
}
