package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead fuzzes the trust config's reading: decoding with its checks, the
// line of each field, and each environment's policy paths. Keys and policies
// are not read: a fuzzed path could name any file on the machine.
func FuzzRead(f *testing.F) {
	paths, _ := filepath.Glob("../../examples/*.yaml")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"roles:\n  ci:\n    keys: [ci.pub]\n    maysign: [tests]\n",
		"environments:\n  production: {policy: policies}\n---\nroles: {}\n",
		"roles: &a [*a]\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
		"roles:\n  qa:\n    identities: [{issuer: https://i, subjectRegexp: '^a$'}]\n    maySign: [approval]\ntrustedRoot: x.json\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		src, err := decode("gate.yaml", raw)
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.File != "gate.yaml" || cerr.Line < 0 {
				t.Fatalf("decode error %v is not a config Error naming gate.yaml", err)
			}
			return
		}
		l := src.loader()
		for name, r := range src.File.Roles {
			for i := range r.Keys {
				field := fmt.Sprintf("roles.%s.keys[%d]", name, i)
				if e := l.fail(field, "x"); e.(*Error).Line <= 0 {
					t.Fatalf("%s is in the config but has no line", field)
				}
			}
		}
		for name := range src.File.Environments {
			dir, _, err := src.Policy(name)
			if err == nil && dir == "" {
				t.Fatalf("environment %q: no policy directory and no error", name)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "gate.yaml:") {
				t.Fatalf("environment %q: error %q does not name the file", name, err)
			}
		}
	})
}
