package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Answer is the answer about all findings: 0 all admitted, 1 some refused,
// 2 some could not be decided (which the webhook refuses too).
func Answer(fs []Finding) int {
	code := 0
	for _, f := range fs {
		switch {
		case f.Undecided:
			return 2
		case !f.Admitted:
			code = 1
		}
	}
	return code
}

// WriteText writes one line per finding, file:line first, as compilers do.
func WriteText(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		verdict := "admitted"
		switch {
		case f.Undecided:
			verdict = "REFUSED (could not decide)"
		case !f.Admitted:
			verdict = "REFUSED"
		case f.Warned:
			verdict = "admitted with a warning (warn mode)"
		}
		if _, err := fmt.Fprintf(w, "%s:%d: %s %s/%s: %s: %s\n", f.File, f.Line, f.Kind, f.Namespace, f.Name, verdict, f.Explanation); err != nil {
			return err
		}
	}
	return summary(w, fs)
}

func summary(w io.Writer, fs []Finding) error {
	var refused, warned int
	for _, f := range fs {
		if !f.Admitted {
			refused++
		} else if f.Warned {
			warned++
		}
	}
	_, err := fmt.Fprintf(w, "%d checked, %d refused, %d warned\n", len(fs), refused, warned)
	return err
}

// WriteJSON writes the findings as one JSON document.
func WriteJSON(w io.Writer, fs []Finding) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if fs == nil {
		fs = []Finding{}
	}
	return enc.Encode(struct {
		Answer   int       `json:"answer"`
		Findings []Finding `json:"findings"`
	}{Answer(fs), fs})
}

// WriteGitHub writes GitHub Actions workflow commands: an error annotation
// on the line of each refused image, a warning for each warn-mode denial, so
// a pull request shows them where the manifest says it.
func WriteGitHub(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		level := ""
		switch {
		case !f.Admitted:
			level = "error"
		case f.Warned:
			level = "warning"
		default:
			continue
		}
		if _, err := fmt.Fprintf(w, "::%s file=%s,line=%d,title=%s::%s\n", level, property(f.File), f.Line,
			property("gate: "+f.Kind+" "+f.Namespace+"/"+f.Name), message(f.Explanation)); err != nil {
			return err
		}
	}
	return summary(w, fs)
}

// message and property escape as GitHub's workflow commands require.
func message(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func property(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
