package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadPredicate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := ReadPredicate(write("ok.json", "{\n  \"checklist\": [\"dr-plan\"],\n  \"by\": \"sre\"\n}\n"))
	if err != nil || string(got) != `{"checklist":["dr-plan"],"by":"sre"}` {
		t.Fatalf("ReadPredicate = %s, %v", got, err)
	}

	for _, tc := range []struct {
		desc, content string
		line          int
		message       string
	}{
		{"an array", "[1, 2]", 1, "the document is a JSON array"},
		{"a string", `"x"`, 1, "JSON string"},
		{"null", "null", 0, "a predicate is a JSON object"},
		{"empty", " \n", 0, "empty"},
		{"a key twice", "{\n\"a\": 1,\n\"A\": 2}", 3, "differing in case only"},
		{"cut short", "{\n\"a\": [1,\n", 3, "unexpected end of JSON input"},
		{"two documents", "{}\n{}", 2, "invalid character"},
		{"too deep", strings.Repeat(`{"a":`, MaxNesting+1), 1, "nested deeper"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := write("p.json", tc.content)
			_, err := ReadPredicate(path)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != path || pe.Line != tc.line || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("ReadPredicate = %v; want %s:%d ... %s", err, path, tc.line, tc.message)
			}
		})
	}

	big := write("big.json", `{"a":"`+strings.Repeat("x", MaxPredicateSize)+`"}`)
	if _, err := ReadPredicate(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a predicate over MaxPredicateSize: %v", err)
	}
}
