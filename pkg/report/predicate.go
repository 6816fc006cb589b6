package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// MaxPredicateSize is the largest predicate gate signs as it is (with
// --predicate, and SBOMs). The bundle carries the statement base64-encoded
// (4/3 of its size) and a verifier fetches at most oci.MaxAttestationSize
// (16 MiB) of it: a larger predicate would be signed, pushed, and then
// never read. 11 MiB leaves room for the encoding and the signature.
const MaxPredicateSize = 11 << 20

// ReadPredicate reads the file at path as an in-toto predicate of any type,
// as `cosign attest --predicate` does, but fails closed: it must be one JSON
// object, at most MaxPredicateSize bytes, nesting at most MaxNesting levels,
// with no key twice in one object. A fault is a *ParseError naming the file
// and, where it has one, the line.
func ReadPredicate(path string) (json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading predicate: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPredicateSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading predicate %s: %w", path, err)
	}
	fail := func(err error) (json.RawMessage, error) {
		pe, ok := err.(*ParseError)
		if !ok {
			pe = &ParseError{Err: err}
		}
		pe.File, pe.Format = path, "predicate"
		return nil, pe
	}
	if len(data) > MaxPredicateSize {
		return fail(fmt.Errorf("%w: more than %d bytes: a predicate is held whole by every verifier", ErrTooLarge, MaxPredicateSize))
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(ErrEmpty)
	}
	if err := checkJSONKeys(data); err != nil {
		return fail(err)
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(data, &object); err != nil {
		return fail(jsonError(data, err))
	}
	if object == nil {
		return fail(fmt.Errorf("null: a predicate is a JSON object"))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return fail(jsonError(data, err))
	}
	return compact.Bytes(), nil
}
