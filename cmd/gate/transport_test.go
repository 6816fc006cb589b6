package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A registry slower than slowAfter is reported on a terminal while gate waits.
func TestSlowRegistryIsReportedOnATerminal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(slowAfter + 500*time.Millisecond)
	}))
	defer srv.Close()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	lines := make(chan string, 4)
	go func() {
		r := bufio.NewReader(ptmx)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- l
		}
	}()
	tr := &loggingTransport{next: http.DefaultTransport, out: func() io.Writer { return tty }}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case l := <-lines:
		if !strings.Contains(l, "still waiting for "+strings.TrimPrefix(srv.URL, "http://")) {
			t.Fatalf("got %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing said about a slow registry on a terminal")
	}
}
