package jsonstrict

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxDepth is how deeply the JSON gate reads may nest: real reports and
// attestations nest tens of levels (SARIF's code flows, a cosign vuln
// predicate holding a scanner's report); without a bound, a value of
// nothing but open brackets makes a decoder hold one frame per level.
const MaxDepth = 1000

// Faults CheckKeys finds. Each comes as an *Error saying where.
var (
	// ErrRepeatedKey: one object holds a key twice, exactly or differing in
	// case only. encoding/json matches a struct's field names without
	// regard to case and keeps the last of a repeated key; other readers
	// (OPA, cosign, jq) keep the first, or match exactly: each would read
	// another value, so gate reads neither.
	ErrRepeatedKey = errors.New("repeated key")
	// ErrTooDeep: values nest past the depth the caller allows.
	ErrTooDeep = errors.New("nested too deep")
)

// Error is a fault CheckKeys found, Offset bytes into the data: of Kind
// ErrRepeatedKey or ErrTooDeep, with the particulars in Msg (the key, as
// first written and as repeated).
type Error struct {
	Offset int
	Kind   error
	Msg    string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

// CheckKeys refuses JSON in which one object holds the same key twice,
// exactly or differing in case only, comparing keys as encoding/json
// compares them with a field's name (fold: upper of lower, per rune), or
// whose values nest deeper than maxDepth.
//
// It is one linear pass that assumes nothing of data: what is not valid
// JSON it leaves for the decoder to report. data may hold several values,
// as go test -json's lines do.
func CheckKeys(data []byte, maxDepth int) error {
	var stack []*object // nil entries are arrays
	top := func() *object {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) == maxDepth {
				return &Error{Offset: i, Kind: ErrTooDeep, Msg: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
			}
			if c == '{' {
				stack = append(stack, &object{key: true})
			} else {
				stack = append(stack, nil)
			}
		case '}', ']':
			if len(stack) == 0 {
				return nil // not JSON: the decoder says where
			}
			stack = stack[:len(stack)-1]
		case ',':
			if o := top(); o != nil {
				o.key = true
			}
		case ':':
			if o := top(); o != nil {
				o.key = false
			}
		case '"':
			end, escaped := stringEnd(data, i)
			if end < 0 {
				return nil
			}
			if o := top(); o != nil && o.key {
				if err := o.add(data, i, end, escaped); err != nil {
					return err
				}
			}
			i = end
		}
	}
	return nil
}

// stringEnd is the index of the quote closing the JSON string that opens at
// start, and whether it holds an escape; -1 when it is not closed.
func stringEnd(data []byte, start int) (end int, escaped bool) {
	for j := start + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return -1, escaped
}

// object is an object CheckKeys has open.
type object struct {
	keys map[string]string // folded key -> the key as written
	key  bool              // whether the next string is a key
}

// add records the key data[start:end+1], a quoted string, refusing one
// that folds to a key the object already has.
func (o *object) add(data []byte, start, end int, escaped bool) error {
	raw := data[start : end+1]
	var key string
	if escaped {
		if json.Unmarshal(raw, &key) != nil {
			return nil // not a JSON string: the decoder says where
		}
	} else {
		key = string(raw[1 : len(raw)-1])
	}
	folded := fold(key)
	if o.keys == nil {
		o.keys = map[string]string{}
	}
	if first, ok := o.keys[folded]; ok {
		what := "twice"
		if first != key {
			what = fmt.Sprintf("again as %q, differing in case only", key)
		}
		return &Error{Offset: start, Kind: ErrRepeatedKey, Msg: fmt.Sprintf("key %q is in one object %s", first, what)}
	}
	o.keys[folded] = key
	return nil
}

// fold is key as encoding/json folds a name to match it to a field.
func fold(key string) string {
	ascii := true
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		b := []byte(key)
		for i, c := range b {
			if 'a' <= c && c <= 'z' {
				b[i] = c - ('a' - 'A')
			}
		}
		return string(b)
	}
	out := make([]rune, 0, len(key))
	for _, r := range key {
		out = append(out, unicode.ToUpper(unicode.ToLower(r)))
	}
	return string(out)
}
