package report

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNesting bounds how deeply a report's JSON values or XML elements nest.
// Real reports nest tens of levels (SARIF's code flows, JUnit suites inside
// suites); without a bound, a report of nothing but open tags makes the
// parser hold one frame per level: 19 million levels in 127 MB took 3 GiB.
const MaxNesting = 1000

// checkJSONKeys refuses JSON in which one object holds the same key twice,
// exactly or differing in case only. encoding/json matches a struct's field
// names without regard to case and keeps the last value of a repeated key,
// so {"Results": [...CRITICAL...], "results": []} would read as clean: what
// gate reads must be what every other reader of the report sees. Keys are
// compared as encoding/json compares them (fold: upper of lower, per rune).
//
// It is one linear pass that assumes nothing of data: what is not valid JSON
// it leaves for the decoder to report. data may hold several values, as go
// test -json's lines do.
func checkJSONKeys(data []byte) error {
	var stack []*jsonObject // nil entries are arrays
	top := func() *jsonObject {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) == MaxNesting {
				return &ParseError{Line: lineAt(data, int64(i)), Err: fmt.Errorf(
					"nested deeper than %d levels: no report of a real tool does; regenerate it with the tool", MaxNesting)}
			}
			if c == '{' {
				stack = append(stack, &jsonObject{key: true})
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
				if err := o.addKey(data, i, end, escaped); err != nil {
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

// jsonObject is an object checkJSONKeys has open.
type jsonObject struct {
	keys map[string]string // folded key -> the key as written
	key  bool              // whether the next string is a key
}

// addKey records the key data[start:end+1], a quoted string, refusing one
// that folds to a key the object already has.
func (o *jsonObject) addKey(data []byte, start, end int, escaped bool) error {
	raw := data[start : end+1]
	var key string
	if escaped {
		if json.Unmarshal(raw, &key) != nil {
			return nil // not a JSON string: the decoder says where
		}
	} else {
		key = string(raw[1 : len(raw)-1])
	}
	folded := foldKey(key)
	if o.keys == nil {
		o.keys = map[string]string{}
	}
	if first, ok := o.keys[folded]; ok {
		what := "twice"
		if first != key {
			what = fmt.Sprintf("again as %q, differing in case only", key)
		}
		return &ParseError{Line: lineAt(data, int64(start)), Err: fmt.Errorf(
			"key %q is in one object %s: readers disagree on which counts, so gate reads neither; "+
				"regenerate the report with the tool, or remove the key that does not belong", first, what)}
	}
	o.keys[folded] = key
	return nil
}

// foldKey is key as encoding/json folds a name to match it to a field.
func foldKey(key string) string {
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
