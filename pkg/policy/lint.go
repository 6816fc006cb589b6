package policy

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// The checks Lint makes, named in each Problem.
const (
	CheckSyntax     = "syntax"      // every .rego file parses as Rego v1
	CheckFormat     = "format"      // every .rego file is as `opa fmt` writes it
	CheckCompile    = "compile"     // policy and tests compile in strict mode with gate's capabilities
	CheckData       = "data"        // every params file is a JSON object
	CheckSchema     = "schema"      // every params file matches data/schema.json
	CheckFailClosed = "fail-closed" // no input, or no evidence, is never blessed
)

// Problem is one thing Lint found wrong, with where it is: the file, and
// the line when there is one (for a params file, the line of the JSON path).
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Check   string `json:"check"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	where := p.File
	if p.Line > 0 {
		where = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Check, p.Message)
}

// Lint checks the policy in dir as a reviewer would want it checked before
// a merge: every .rego file (tests too) parses as Rego v1 and is formatted as
// `opa fmt` formats it; policy and tests compile in strict mode against the
// builtins gate allows; every params file dir/data/*.json is a JSON object
// matching the JSON schema dir/data/schema.json; and the policy fails closed:
// evaluated with each params file, and with none, on an empty input and on
// an input with no evidence, it does not allow.
//
// Problems are returned sorted by file and line; an error means Lint could
// not run at all (dir unreadable, no .rego file).
func Lint(ctx context.Context, dir string) ([]Problem, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".rego") {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("linting policy: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("linting policy: no .rego files in %s", dir)
	}
	var problems []Problem
	modules := map[string]*ast.Module{}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("linting policy: %w", err)
		}
		m, ps := lintRego(path, src)
		problems = append(problems, ps...)
		if m != nil {
			modules[path] = m
		}
	}
	compiled := len(modules) == len(paths)
	if compiled {
		ps := lintCompile(ctx, modules)
		problems = append(problems, ps...)
		compiled = len(ps) == 0
	}
	data, ps, err := lintData(ctx, dir)
	if err != nil {
		return nil, err
	}
	problems = append(problems, ps...)
	if compiled {
		problems = append(problems, lintFailClosed(ctx, dir, data)...)
	}
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return problems, nil
}

// lintRego parses one file and checks its format; the module is nil when
// it does not parse.
func lintRego(path string, src []byte) (*ast.Module, []Problem) {
	m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{
		RegoVersion: ast.RegoV1, Capabilities: capabilities(), ProcessAnnotation: true,
	})
	if err != nil {
		return nil, astProblems(CheckSyntax, path, err)
	}
	formatted, err := format.SourceWithOpts(path, src, format.Opts{RegoVersion: ast.RegoV1})
	if err != nil {
		return m, astProblems(CheckFormat, path, err)
	}
	if !bytes.Equal(src, formatted) {
		line := firstDifference(src, formatted)
		return m, []Problem{{File: path, Line: line, Check: CheckFormat,
			Message: fmt.Sprintf("not formatted as opa fmt formats it (first difference at line %d): run gate policy fmt -w %s", line, path)}}
	}
	return m, nil
}

// firstDifference is the first line at which a and b differ.
func firstDifference(a, b []byte) int {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(al), len(bl)) {
		if !bytes.Equal(al[i], bl[i]) {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// lintCompile compiles policy and tests together, as `opa check --strict`
// does, with the builtins Load and Test allow.
func lintCompile(ctx context.Context, modules map[string]*ast.Module) []Problem {
	_, err := compile(ctx, inmem.New(), modules)
	if err == nil {
		return nil
	}
	return astProblems(CheckCompile, "", err)
}

// astProblems turns OPA's errors, which carry their location, into
// problems; an error without one is put on file.
func astProblems(check, file string, err error) []Problem {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		var one *ast.Error
		if !errors.As(err, &one) {
			return []Problem{{File: file, Check: check, Message: err.Error()}}
		}
		errs = ast.Errors{one}
	}
	var out []Problem
	for _, e := range errs {
		p := Problem{File: file, Check: check, Message: e.Message}
		if e.Location != nil {
			p.File, p.Line = cmp.Or(e.Location.File, file), e.Location.Row
		}
		out = append(out, p)
	}
	return out
}
