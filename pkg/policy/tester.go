package policy

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// testTimeout bounds one Rego test, as `opa test` does by default: a test
// that runs longer is stuck, not slow.
const testTimeout = 5 * time.Second

// Test runs the Rego tests (rules named test_*) in the .rego files under
// paths, as `opa test` does, compiled as policies are, and writes a report
// like its pretty reporter to w. passed is false if any test fails or errs,
// or if there is no test at all. Other files, such as the params under
// policies/data/, are not loaded: tests give params with `with`.
func Test(ctx context.Context, paths []string, w io.Writer, verbose bool) (passed bool, err error) {
	modules, store, err := tester.LoadWithParserOptions(paths, onlyRego, ast.ParserOptions{
		RegoVersion: ast.RegoV1, Capabilities: capabilities(), ProcessAnnotation: true,
	})
	if err != nil {
		return false, fmt.Errorf("loading policy tests: %w", err)
	}
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return false, fmt.Errorf("running policy tests: %w", err)
	}
	defer store.Abort(ctx, txn)

	runner := tester.NewRunner().
		SetCompiler(newCompiler().WithEnablePrintStatements(true)).
		SetStore(store).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		EnableTracing(verbose).
		StackTraces(true).
		SetTimeout(testTimeout)
	results, err := runner.RunTests(ctx, txn)
	if err != nil {
		return false, fmt.Errorf("compiling policy tests: %w", err)
	}

	var ran, failed int
	reported := make(chan *tester.Result)
	go func() {
		defer close(reported)
		for r := range results {
			ran++
			if !r.Pass() {
				failed++
			}
			r.Trace = notesAndFailures(r.Trace)
			reported <- r
		}
	}()
	if err := (tester.PrettyReporter{Output: w, Verbose: verbose}).Report(reported); err != nil {
		return false, fmt.Errorf("reporting policy tests: %w", err)
	}
	if ran == 0 {
		return false, fmt.Errorf("running policy tests: no tests in %s", strings.Join(paths, ", "))
	}
	return failed == 0, nil
}

// onlyRego is a loader filter that skips every file but .rego ones.
func onlyRego(_ string, info fs.FileInfo, _ int) bool {
	return !info.IsDir() && !strings.HasSuffix(info.Name(), ".rego")
}

// notesAndFailures keeps what `opa test -v` shows of a trace.
func notesAndFailures(trace []*topdown.Event) []*topdown.Event {
	var kept []*topdown.Event
	for _, e := range trace {
		if e.Op == topdown.NoteOp || e.Op == topdown.FailOp {
			kept = append(kept, e)
		}
	}
	return kept
}
