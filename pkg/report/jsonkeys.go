package report

import (
	"errors"
	"fmt"

	"github.com/gatehq/gate/internal/jsonstrict"
)

// MaxNesting bounds how deeply a report's JSON values or XML elements nest,
// as deeply as any JSON gate reads (jsonstrict.MaxDepth). Real reports nest
// tens of levels (SARIF's code flows, JUnit suites inside suites); without
// a bound, a report of nothing but open tags makes the parser hold one
// frame per level: 19 million levels in 127 MB took 3 GiB.
const MaxNesting = jsonstrict.MaxDepth

// checkJSONKeys refuses JSON in which one object holds the same key twice,
// exactly or differing in case only (jsonstrict.CheckKeys), or that nests
// past MaxNesting: {"Results": [...CRITICAL...], "results": []} would read
// as clean to encoding/json, and as critical to another reader, and what
// gate reads must be what every other reader of the report sees.
func checkJSONKeys(data []byte) error {
	err := jsonstrict.CheckKeys(data, MaxNesting)
	var e *jsonstrict.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &e):
		return err
	case errors.Is(err, jsonstrict.ErrTooDeep):
		return &ParseError{Line: lineAt(data, int64(e.Offset)), Err: fmt.Errorf(
			"nested deeper than %d levels: no report of a real tool does; regenerate it with the tool", MaxNesting)}
	default:
		return &ParseError{Line: lineAt(data, int64(e.Offset)), Err: fmt.Errorf(
			"%s: readers disagree on which counts, so gate reads neither; "+
				"regenerate the report with the tool, or remove the key that does not belong", e.Msg)}
	}
}
