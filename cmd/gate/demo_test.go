package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// gate demo --keep leaves a registry a person can go on with: the commands it
// prints, run as printed, turn the waiting image blessed; cancelling ends it.
func TestDemoKeepHandsOver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetArgs([]string{"demo", "--keep"})
		root.SetOut(pw)
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var cmds [][]string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if v, ok := strings.CutPrefix(line, "export "); ok {
			for _, kv := range strings.Fields(v) {
				k, val, _ := strings.Cut(kv, "=")
				t.Setenv(k, val)
			}
		}
		if strings.HasPrefix(line, "gate ") {
			cmds = append(cmds, splitQuoted(line)[1:])
		}
		if strings.HasPrefix(line, "Ctrl-C ends") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if len(cmds) != 3 {
		t.Fatalf("want verify, approve, verify printed; got %q", cmds)
	}
	wantCodes := []int{exitNotBlessed, exitBlessed, exitBlessed}
	for i, c := range cmds {
		if code, out := run(t, c...); code != wantCodes[i] {
			t.Fatalf("gate %s: exit %d, want %d:\n%s", strings.Join(c, " "), code, wantCodes[i], out)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo --keep after Ctrl-C: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo --keep did not end when cancelled")
	}
}

// splitQuoted splits a printed command line into words, honouring "…".
func splitQuoted(s string) []string {
	var words []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}
