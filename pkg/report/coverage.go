package report

import (
	"fmt"
	"strconv"
)

// MaxCount bounds every count a coverage report gives: statements in a Go
// cover block, lines and branches in LCOV's and Cobertura's totals. No
// source tree has 2^32 lines; and with each line of a report adding at most
// one such count to a sum, and at most MaxReportSize lines, no sum of them
// can pass 2^59, so none overflows int (at 2^63 a total wrapped round and a
// report read as 200% covered).
const MaxCount = 1 << 32

// parseCount reads a count: a whole number from 0 to MaxCount.
func parseCount(text string) (int, error) {
	n, err := strconv.ParseInt(text, 10, 64)
	switch {
	case err != nil || n < 0:
		return 0, fmt.Errorf("%q is not a count", text)
	case n > MaxCount:
		return 0, fmt.Errorf("count %s is larger than any source tree's (at most %d): the report is corrupt; regenerate it with the tool", text, int64(MaxCount))
	}
	return int(n), nil
}

// errNothingCovered says a coverage report measured nothing: read as 0% it
// would fail a gate for the wrong reason, read from a rate it would pass one
// on no evidence, so it is refused.
func errNothingCovered(unit, hint string) error {
	return fmt.Errorf("%w: no %s to cover; %s", ErrEmpty, unit, hint)
}
