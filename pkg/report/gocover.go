package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehq/gate/attestations"
)

// parseGoCover reads a Go cover profile: a line "mode: set|count|atomic",
// then one line "file:line.col,line.col statements count" per block. A block
// written twice (a package's profile merged with a test binary's that covers
// it too) counts once, covered if any count is; as in golang.org/x/tools/cover,
// its statement counts must agree. Percent is covered statements out of all,
// as go test -cover prints it.
func parseGoCover(data []byte) (*attestations.Coverage, error) {
	type block struct {
		statements int
		covered    bool
	}
	var (
		mode     string
		modeLine int
		blocks   = map[string]*block{} // by "file:range"
		files    = map[string]bool{}
		lineNo   int
	)
	for line := range bytes.Lines(data) {
		lineNo++
		text := strings.TrimSpace(string(line))
		if text == "" {
			continue
		}
		if m, ok := strings.CutPrefix(text, "mode: "); ok {
			switch {
			case mode == "" && (m == "set" || m == "count" || m == "atomic"):
				mode, modeLine = m, lineNo
			case m != mode:
				// Concatenated profiles repeat the mode line; one of another
				// mode would mix counts of different meanings.
				return nil, atLine(lineNo, "mode %q: want %s", m, or(mode, "set, count or atomic"))
			}
			continue
		}
		if mode == "" {
			return nil, atLine(lineNo, "first line is %q, not \"mode: set|count|atomic\"", clip([]byte(text)))
		}
		file, where, statements, count, err := coverBlock(text)
		if err != nil {
			return nil, atLine(lineNo, "block %q: %v", clip([]byte(text)), err)
		}
		files[file] = true
		b, ok := blocks[where]
		switch {
		case !ok:
			blocks[where] = &block{statements: statements, covered: count > 0}
		case b.statements != statements:
			return nil, atLine(lineNo, "block %s has %d statements here and %d before", where, statements, b.statements)
		default:
			b.covered = b.covered || count > 0
		}
	}
	c := &attestations.Coverage{Format: string(GoCover), Unit: "statements", Files: len(files)}
	for _, b := range blocks {
		c.Total += b.statements
		if b.covered {
			c.Covered += b.statements
		}
	}
	if c.Total == 0 {
		what := "the profile holds only its mode line"
		if len(blocks) > 0 {
			what = "the profile's blocks hold no statements"
		}
		return nil, &ParseError{Line: modeLine, Err: errNothingCovered("statements",
			what+", as go test writes for packages without statements; "+
				"measure the packages that have code (go test -coverpkg=./... -coverprofile)")}
	}
	c.Percent = percent(c.Covered, c.Total)
	return c, nil
}

// coverBlock splits a block line "file:l.c,l.c statements count".
func coverBlock(text string) (file, where string, statements int, count int64, err error) {
	rest, countText, ok1 := cutLast(text, " ")
	where, statementsText, ok2 := cutLast(rest, " ")
	file, span, ok3 := cutLast(where, ":")
	if !ok1 || !ok2 || !ok3 || file == "" {
		return "", "", 0, 0, fmt.Errorf(`want "file:line.col,line.col statements count"`)
	}
	if !isSpan(span) {
		return "", "", 0, 0, fmt.Errorf("range %q is not line.col,line.col", span)
	}
	if statements, err = parseCount(statementsText); err != nil {
		return "", "", 0, 0, fmt.Errorf("statements: %w", err)
	}
	if count, err = strconv.ParseInt(countText, 10, 64); err != nil || count < 0 {
		return "", "", 0, 0, fmt.Errorf("execution count %q is not a count", countText)
	}
	return file, where, statements, count, nil
}

// isSpan says whether span is "line.col,line.col", each a whole number as
// strconv writes it. (fmt.Sscanf did this at a tenth of the speed.)
func isSpan(span string) bool {
	from, to, ok := strings.Cut(span, ",")
	return ok && isPlace(from) && isPlace(to)
}

func isPlace(place string) bool {
	line, col, ok := strings.Cut(place, ".")
	return ok && isWhole(line) && isWhole(col)
}

func isWhole(text string) bool {
	n, err := strconv.Atoi(text)
	return err == nil && strconv.Itoa(n) == text
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
