package jsonstrict

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	for _, tc := range []struct {
		desc, json string
		kind       error  // nil: accepted
		key        string // named in the message
	}{
		{desc: "distinct keys", json: `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`},
		{desc: "a key repeated exactly", json: `{"a":1,"a":2}`, kind: ErrRepeatedKey, key: `"a"`},
		{desc: "a key repeated in another case", json: `{"predicateType":1,"PredicateType":2}`, kind: ErrRepeatedKey, key: `"PredicateType"`},
		{desc: "a key repeated deep in an array", json: `{"x":[1,{"y":{"result":"PASSED","Result":"FAILED"}}]}`, kind: ErrRepeatedKey, key: `"Result"`},
		{desc: "a key repeated through an escape", json: `{"role":"qa","\u0072ole":"sre"}`, kind: ErrRepeatedKey, key: `"role"`},
		{desc: "a key repeated with the long s, which encoding/json folds to S", json: `{"results":1,"re\u017fults":2}`, kind: ErrRepeatedKey, key: `"results"`},
		{desc: "a value equal to a key is no key", json: `{"a":"a","b":"a"}`},
		{desc: "a colon and a comma inside strings", json: `{"a":"x,\"a\":y","b":1}`},
		{desc: "nested past the depth", json: `{"a":[[[[1]]]]}`, kind: ErrTooDeep},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			err := CheckKeys([]byte(tc.json), 4)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.Is(err, tc.kind) || !errors.As(err, &e) || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("got %v, want a %v naming %s", err, tc.kind, tc.key)
			}
		})
	}
}
