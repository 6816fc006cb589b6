package admission

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBytesInFlightAreBounded: bodies are charged as they are read; a body that would take the
// held bytes past the bound is answered 429, and the bytes of an answered request are given
// back.
func TestBytesInFlightAreBounded(t *testing.T) {
	const max = 100
	release := make(chan struct{})
	held := make(chan struct{})
	var holding bool
	h := limitInFlight(max, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if errors.Is(err, errBusy) {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if err != nil {
			t.Error(err)
			return
		}
		if !holding {
			holding = true
			held <- struct{}{}
			<-release
		}
		w.Write(body)
	}))
	post := func(n int) int {
		r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("x"), n))))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	done := make(chan int)
	go func() { done <- post(80) }() // holds 80 until released
	<-held
	if code := post(30); code != http.StatusTooManyRequests {
		t.Errorf("30 bytes more while 80 of %d are held: HTTP %d, want 429", max, code)
	}
	if code := post(20); code != http.StatusOK {
		t.Errorf("20 bytes more while 80 of %d are held: HTTP %d, want 200", max, code)
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("the held request: HTTP %d", code)
	}
	if code := post(100); code != http.StatusOK {
		t.Errorf("%d bytes once the held request was answered: HTTP %d, want 200 (its bytes given back)", max, code)
	}
}

// TestReadBody reads what the request states, refuses less, and refuses more than
// MaxRequestBytes whether or not the length is stated.
func TestReadBody(t *testing.T) {
	read := func(body string, stated int64) ([]byte, error) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.ContentLength = stated
		return readBody(httptest.NewRecorder(), r)
	}
	big := strings.Repeat("x", 3*firstRead+7)
	if b, err := read(big, int64(len(big))); err != nil || string(b) != big {
		t.Errorf("stated length: %d bytes, %v", len(b), err)
	}
	if b, err := read(big, -1); err != nil || string(b) != big {
		t.Errorf("unstated length: %d bytes, %v", len(b), err)
	}
	if _, err := read(big, int64(len(big))+1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a byte fewer than stated: %v, want unexpected EOF", err)
	}
	if b, err := read("", 0); err != nil || len(b) != 0 {
		t.Errorf("empty: %q, %v", b, err)
	}
	huge := strings.Repeat("x", MaxRequestBytes+1)
	if _, err := read(huge, -1); !errors.As(err, new(*http.MaxBytesError)) {
		t.Errorf("%d bytes of unstated length: %v, want the limit's error", len(huge), err)
	}
}
