package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// LoadParams reads an environment's params from a JSON file. A syntax error
// names the file, line and column.
func LoadParams(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy params: %w", err)
	}
	return parseParams(path, b)
}

func parseParams(path string, b []byte) (map[string]any, error) {
	var params map[string]any
	if err := json.Unmarshal(b, &params); err != nil {
		return nil, fmt.Errorf("parsing policy params %s: %w", position(path, b, err), err)
	}
	if params == nil {
		return nil, fmt.Errorf("parsing policy params %s: not a JSON object", path)
	}
	return params, nil
}

// position is path:line:column of where err, from decoding b, occurred.
func position(path string, b []byte, err error) string {
	var offset int64
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return path
	}
	// Offset counts the bytes read, the offending one included.
	before := b[:min(max(offset-1, 0), int64(len(b)))]
	line := bytes.Count(before, []byte("\n")) + 1
	column := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s:%d:%d", path, line, column)
}

// canonicalParams returns params as JSON-decoded values, which the store and
// the policy see, and as canonical JSON (sorted keys, no space) for Version.
func canonicalParams(params map[string]any) (any, []byte, error) {
	if params == nil {
		params = map[string]any{}
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding policy params: %w", err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("decoding policy params: %w", err)
	}
	canonical, err := json.Marshal(doc)
	return doc, canonical, err
}
