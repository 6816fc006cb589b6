package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// A fault of the registry stops a decision; a fault of what a listing
// names rejects one attestation. Telling them apart wrongly either lets
// anyone who can push block every deploy, or lets a flaky registry drop
// a NOGO from the evidence.
func TestFetchErrorsAreTold(t *testing.T) {
	status := func(code int) error { return &transport.Error{StatusCode: code} }
	for _, tc := range []struct {
		desc     string
		err      error
		unusable bool
	}{
		{"404: what the listing names is not there", status(http.StatusNotFound), true},
		{"400: the registry refuses the request itself", status(http.StatusBadRequest), true},
		{"content that is not its digest", errors.New("error verifying sha256 checksum"), true},
		{"401", status(http.StatusUnauthorized), false},
		{"403", status(http.StatusForbidden), false},
		{"429: rate limited", status(http.StatusTooManyRequests), false},
		{"500", status(http.StatusInternalServerError), false},
		{"503", status(http.StatusServiceUnavailable), false},
		{"the caller's deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), false},
		{"cancelled", context.Canceled, false},
		{"the connection dropped mid-body", io.ErrUnexpectedEOF, false},
		{"any failed HTTP round trip", &url.Error{Op: "Get", URL: "https://r", Err: errors.New("tls: bad record MAC")}, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			err := fetchError("fetching attestation", tc.err)
			if got := errors.Is(err, ErrUnusable); got != tc.unusable {
				t.Errorf("unusable=%v, want %v (%v)", got, tc.unusable, err)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(10)
	if !b.take(6) || b.take(5) || !b.take(4) || b.take(1) {
		t.Fatal("a budget of 10 must give 6 and 4, and refuse 5 between them and 1 after")
	}
	var unbounded *Budget
	if !unbounded.take(1 << 40) {
		t.Fatal("a nil budget is unbounded")
	}
}
