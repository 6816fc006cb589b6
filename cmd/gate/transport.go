package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// slowAfter is how long a registry request runs before a person at a
// terminal is told gate is still waiting on it.
const slowAfter = 3 * time.Second

// loggingTransport logs each registry request (method, URL, status, time)
// with --verbose, and says when a request is slow if stderr is a terminal.
// It logs no header: they carry credentials.
type loggingTransport struct {
	next    http.RoundTripper
	out     func() io.Writer
	verbose bool
	mu      sync.Mutex // one line at a time
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	var slow *time.Timer
	if f, ok := t.out().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		slow = time.AfterFunc(slowAfter, func() {
			t.printf("gate: still waiting for %s (%s %s), %s so far; --timeout bounds it\n", req.URL.Host, req.Method, req.URL.Path, slowAfter)
		})
	}
	resp, err := t.next.RoundTrip(req)
	if slow != nil {
		slow.Stop()
	}
	if t.verbose {
		ms := time.Since(start).Milliseconds()
		if err != nil {
			t.printf("gate: %s %s: %v (%d ms)\n", req.Method, req.URL.Redacted(), err, ms)
		} else {
			t.printf("gate: %s %s: %d (%d ms)\n", req.Method, req.URL.Redacted(), resp.StatusCode, ms)
		}
	}
	return resp, err
}

func (t *loggingTransport) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out(), format, args...)
}
