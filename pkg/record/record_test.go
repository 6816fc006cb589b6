package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/policy"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sample(i int) Record {
	digest := fmt.Sprintf("sha256:%064x", i)
	return Record{
		Time: now, Image: "reg.example/app:1." + fmt.Sprint(i), Digest: digest, Environment: "production",
		PolicyVersion: "sha256:" + strings.Repeat("ab", 32), Origin: "verify",
		Input: &policy.Input{
			Subject: policy.Subject{Digest: digest, Reference: "reg.example/app:1." + fmt.Sprint(i)}, Environment: "production", Now: now,
			Evidence: []policy.Evidence{{
				PredicateType: "https://gatehq.dev/attestation/coverage/v0.1",
				Signer:        policy.Signer{Role: "ci", Identity: "0f9e4b8c1d2a"},
				Predicate:     map[string]any{"percent": 81.5, "note": strings.Repeat("x", i*1000)},
			}},
		},
		Gates: []policy.Gate{{Name: "coverage", Passed: true, Reason: "coverage 81.5% meets 80%"}},
	}
}

// TestConcurrentAppends appends from writers of their own, as separate
// processes would, and from one shared writer, and reads every line back whole.
func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.jsonl")
	shared, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				errs <- shared.Append(sample(i))
				return
			}
			errs <- Append(path, sample(i)) // a writer of its own
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := shared.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Record.Digest] = true
		if e.Record.Input.Evidence[0].Predicate["percent"] != 81.5 {
			t.Errorf("%s: predicate read back as %v", e.Where(), e.Record.Input.Evidence[0].Predicate)
		}
	}
	if len(entries) != n || len(seen) != n {
		t.Fatalf("read %d records (%d digests), want %d", len(entries), len(seen), n)
	}
}

func TestReaderNamesFileAndLine(t *testing.T) {
	good := func(i int) string {
		path := filepath.Join(t.TempDir(), "one.jsonl")
		if err := Append(path, sample(i)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return string(b)
	}
	for _, tc := range []struct {
		desc, content, want string
	}{
		{"not JSON", good(1) + "\n" + "{oops\n", "r.jsonl:3: invalid character 'o'"},
		{"cut short by a crash", good(1) + good(2)[:40], "r.jsonl:2: unexpected EOF"},
		{"two values on a line", good(1) + "{} {}\n", "r.jsonl:2: more than one JSON value"},
		{"no input", `{"digest": "sha256:1", "environment": "production"}` + "\n", "r.jsonl:1: invalid decision record: no input"},
		{"input about another digest", strings.Replace(good(1), `"digest":"sha256:0000`, `"digest":"sha256:ffff`, 1), "r.jsonl:1: invalid decision record: input is about"},
		{"a wrong type", `{"digest": 7}` + "\n", "r.jsonl:1: json: cannot unmarshal number"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(path)
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a LineError containing %q", err, tc.want)
			}
		})
	}
}

func TestAppendRefuses(t *testing.T) {
	big := sample(1)
	big.Input.Evidence[0].Predicate["note"] = strings.Repeat("x", MaxSize)
	noTime := sample(2)
	noTime.Input.Now = time.Time{}
	for _, tc := range []struct {
		desc string
		r    Record
		want string
	}{
		{"no digest", Record{Environment: "production"}, "no digest"},
		{"no input", Record{Digest: "sha256:1", Environment: "production"}, "no input"},
		{"an input without time", noTime, "input has no time"},
		{"larger than MaxSize", big, "more than"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			if err := Append(path, tc.r); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if b, _ := os.ReadFile(path); len(b) != 0 {
				t.Errorf("wrote %d bytes", len(b))
			}
		})
	}
}

func TestLatest(t *testing.T) {
	a, b := sample(1), sample(2)
	later := sample(1)
	later.Time = now.Add(time.Hour)
	staging := sample(1)
	staging.Environment, staging.Input.Environment = "staging", "staging"
	entries := []Entry{{Line: 1, Record: a}, {Line: 2, Record: b}, {Line: 3, Record: staging}, {Line: 4, Record: later}}
	var lines []int
	for _, e := range Latest(entries) {
		lines = append(lines, e.Line)
	}
	if fmt.Sprint(lines) != "[2 3 4]" {
		t.Errorf("Latest kept lines %v, want [2 3 4]", lines)
	}
}

// TestLatestPassesOverVSADecisions: a decision the webhook took from a VSA holds the VSA as
// its input, not the evidence, so a policy diff replaying it would judge nothing; the full
// verification before it is the latest that counts, and a subject decided only from VSAs
// is left out.
func TestLatestPassesOverVSADecisions(t *testing.T) {
	full := sample(1)
	fromVSA := func(r Record) Record {
		r.Time = r.Time.Add(time.Hour)
		r.Origin = "admission"
		r.Gates = []policy.Gate{{Name: gate.VSAGate, Passed: true, Reason: "blessed by VSA sha256:…"}}
		return r
	}
	entries := []Entry{{Line: 1, Record: fromVSA(sample(2))}, {Line: 2, Record: full}, {Line: 3, Record: fromVSA(full)}}
	var lines []int
	for _, e := range Latest(entries) {
		lines = append(lines, e.Line)
	}
	if fmt.Sprint(lines) != "[2]" {
		t.Errorf("Latest kept lines %v, want [2]: the full verification, not the VSA decisions", lines)
	}
}
