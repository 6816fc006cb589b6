package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// schemaFile is where, under a policy's data directory, the JSON schema of
// its params files is.
const schemaFile = "schema.json"

// paramsFile is a params file that parsed.
type paramsFile struct {
	path   string
	raw    []byte
	params map[string]any
}

// lintData parses every params file in dir/data and matches it against
// dir/data/schema.json, with OPA's own JSON schema support (the
// json.match_schema builtin), so that a policy can check params the same way.
func lintData(ctx context.Context, dir string) ([]paramsFile, []Problem, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "data", "*.json"))
	if err != nil {
		return nil, nil, err
	}
	schemaPath := filepath.Join(dir, "data", schemaFile)
	var files []paramsFile
	var problems []Problem
	var schema any
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("linting policy data: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // so that the schema sees 1 as an integer
		var doc any
		if err := dec.Decode(&doc); err != nil {
			problems = append(problems, jsonProblem(path, b, err))
			continue
		}
		if path == schemaPath {
			schema = doc
			continue
		}
		params, ok := doc.(map[string]any)
		if !ok {
			problems = append(problems, Problem{File: path, Line: 1, Check: CheckData, Message: "params are not a JSON object"})
			continue
		}
		files = append(files, paramsFile{path: path, raw: b, params: params})
	}
	if len(files) == 0 {
		return files, problems, nil
	}
	if schema == nil {
		if !containsFile(problems, schemaPath) {
			problems = append(problems, Problem{File: schemaPath, Check: CheckSchema,
				Message: "missing: the params files in data/ need a JSON schema that documents them"})
		}
		return files, problems, nil
	}
	match, err := schemaMatcher(ctx, schema)
	if err != nil {
		return files, append(problems, Problem{File: schemaPath, Check: CheckSchema, Message: err.Error()}), nil
	}
	for _, f := range files {
		ps, err := match(ctx, f)
		if err != nil {
			return nil, nil, fmt.Errorf("matching %s against %s: %w", f.path, schemaPath, err)
		}
		problems = append(problems, ps...)
	}
	return files, problems, nil
}

func containsFile(problems []Problem, file string) bool {
	for _, p := range problems {
		if p.File == file {
			return true
		}
	}
	return false
}

// jsonProblem places a JSON syntax error at its line; a document cut short
// is wrong at its end.
func jsonProblem(path string, b []byte, err error) Problem {
	offset := int64(len(b))
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		offset = syntax.Offset - 1 // Offset counts the offending byte
	}
	line := bytes.Count(b[:min(max(offset, 0), int64(len(b)))], []byte("\n")) + 1
	return Problem{File: path, Line: line, Check: CheckData, Message: err.Error()}
}

// schemaMatcher checks schema, then returns a function that matches a
// params file against it.
func schemaMatcher(ctx context.Context, schema any) (func(context.Context, paramsFile) ([]Problem, error), error) {
	s, err := ast.InterfaceToValue(schema)
	if err != nil {
		return nil, err
	}
	rs, err := rego.New(rego.Query("[ok, msg] := json.verify_schema(input)"), rego.ParsedInput(s)).Eval(ctx)
	if err != nil || len(rs) != 1 {
		return nil, fmt.Errorf("checking the schema: %v", err)
	}
	if ok, _ := rs[0].Bindings["ok"].(bool); !ok {
		return nil, fmt.Errorf("not a JSON schema: %v", rs[0].Bindings["msg"])
	}
	q, err := rego.New(rego.Query("[ok, errs] := json.match_schema(input.doc, input.schema)")).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, f paramsFile) ([]Problem, error) {
		doc, err := ast.InterfaceToValue(f.params)
		if err != nil {
			return nil, err
		}
		in := ast.NewObject(ast.Item(ast.StringTerm("doc"), ast.NewTerm(doc)), ast.Item(ast.StringTerm("schema"), ast.NewTerm(s)))
		rs, err := q.Eval(ctx, rego.EvalParsedInput(in))
		if err != nil {
			return nil, err
		}
		if len(rs) != 1 {
			return nil, errors.New("json.match_schema is undefined")
		}
		if ok, _ := rs[0].Bindings["ok"].(bool); ok {
			return nil, nil
		}
		errs, _ := rs[0].Bindings["errs"].([]any)
		lines := jsonLines(f.raw)
		var out []Problem
		for _, e := range errs {
			m, _ := e.(map[string]any)
			field, _ := m["field"].(string)
			desc, _ := m["desc"].(string)
			if p := additionalProperty.FindStringSubmatch(desc); p != nil {
				field = joinField(field, p[1]) // point at the key itself
			}
			out = append(out, Problem{File: f.path, Line: lines[field], Check: CheckSchema, Message: fmt.Sprintf("%s: %s", jsonPath(field), desc)})
		}
		return out, nil
	}, nil
}

// additionalProperty reads the key out of gojsonschema's description of an
// additionalProperties violation, whose field is the object holding it.
var additionalProperty = regexp.MustCompile(`^Additional property (.+) is not allowed$`)

// rootField is how gojsonschema (inside OPA) names the document itself;
// below it, fields are keys and indexes joined with ".".
const rootField = "(Root)"

func joinField(parent, key string) string {
	if parent == rootField {
		return key
	}
	return parent + "." + key
}

// jsonPath writes a gojsonschema field as a JSON path: $.provenance.builders[0].
func jsonPath(field string) string {
	if field == rootField || field == "" {
		return "$"
	}
	var b strings.Builder
	b.WriteString("$")
	for _, part := range strings.Split(field, ".") {
		if _, err := strconv.Atoi(part); err == nil {
			b.WriteString("[" + part + "]")
		} else {
			b.WriteString("." + part)
		}
	}
	return b.String()
}

// jsonLines maps each value of the JSON document b, named as gojsonschema
// names fields, to its line: an object member's is its key's line.
func jsonLines(b []byte) map[string]int {
	lines := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(b))
	lineAt := func(offset int64) int {
		for offset < int64(len(b)) && strings.IndexByte(" \t\r\n,:", b[offset]) >= 0 {
			offset++
		}
		return bytes.Count(b[:offset], []byte("\n")) + 1
	}
	var walk func(field string) error
	walk = func(field string) error {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if _, seen := lines[field]; !seen {
			lines[field] = lineAt(start)
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				start := dec.InputOffset()
				key, err := dec.Token()
				if err != nil {
					return err
				}
				child := joinField(field, fmt.Sprint(key))
				lines[child] = lineAt(start)
				if err := walk(child); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(joinField(field, strconv.Itoa(i))); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		return err
	}
	_ = walk(rootField) // a document that does not parse was reported already
	return lines
}
