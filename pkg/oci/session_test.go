package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// tagServer serves a tag listing two tags a page, as a registry may.
type tagServer struct {
	tags       []string
	honourLast bool   // start after ?last= and sort, as the spec asks
	linkHost   string // host of the Link header; "" for the server's own
	requests   int
}

func (s *tagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/" {
		return
	}
	s.requests++
	tags := slices.Clone(s.tags)
	start := 0
	if s.honourLast {
		sort.Strings(tags)
		start = sort.SearchStrings(tags, r.URL.Query().Get("last"))
		if start < len(tags) && tags[start] == r.URL.Query().Get("last") {
			start++
		}
	} else if p := r.URL.Query().Get("page"); p != "" {
		fmt.Sscan(p, &start)
	}
	end := min(start+2, len(tags))
	if end < len(tags) {
		host := s.linkHost
		if host == "" {
			host = r.Host
		}
		next := url.Values{"n": {"2"}, "last": {tags[end-1]}, "page": {fmt.Sprint(end)}}
		w.Header().Set("Link", fmt.Sprintf(`<http://%s/v2/r/tags/list?%s>; rel="next"`, host, next.Encode()))
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"name": "r", "tags": tags[start:end]})
}

func TestTagsWithPrefix(t *testing.T) {
	const prefix = "sha256-aa.gate-"
	all := []string{"v1", "sha256-aa.gate-03", "latest", "sha256-aa.gate-01", "sha256-ab", "sha256-aa", "sha256-aa.gate-02", "sha256-aa.att", "zz", "zzz", "zzzz", "zzzzz"}
	want := []string{"sha256-aa.gate-01", "sha256-aa.gate-02", "sha256-aa.gate-03"}
	for _, tc := range []struct {
		desc         string
		srv          *tagServer
		wantErr      string
		maxRequests  int
		wantRequests int
	}{
		{desc: "a registry that honours last and sorts: read from the prefix, stop past it", srv: &tagServer{tags: all, honourLast: true}, maxRequests: 3},
		{desc: "a registry that ignores last, unsorted: every page is read", srv: &tagServer{tags: all}, wantRequests: 6},
		{desc: "a Link header to another host is refused: credentials go with it", srv: &tagServer{tags: all, linkHost: "evil.example"}, wantErr: "another registry"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			srv := httptest.NewServer(tc.srv)
			defer srv.Close()
			repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/r")
			s, err := NewClient().session(context.Background(), repo, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.tagsWithPrefix(context.Background(), prefix)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error saying %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if tc.maxRequests > 0 && tc.srv.requests > tc.maxRequests {
				t.Errorf("%d listing requests, want at most %d", tc.srv.requests, tc.maxRequests)
			}
			if tc.wantRequests > 0 && tc.srv.requests != tc.wantRequests {
				t.Errorf("%d listing requests, want %d", tc.srv.requests, tc.wantRequests)
			}
		})
	}
}

func TestRegistryFaultsAreClassified(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedHost := strings.TrimPrefix(closed.URL, "http://")
	closed.Close()
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/" {
				w.WriteHeader(code)
			}
		}))
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	for _, tc := range []struct {
		desc string
		host string
		want error
	}{
		{"nothing listens", closedHost, ErrUnreachable},
		{"401", status(http.StatusUnauthorized), ErrUnauthorized},
		{"403", status(http.StatusForbidden), ErrUnauthorized},
		{"404", status(http.StatusNotFound), ErrNotFound},
		{"slower than the deadline", strings.TrimPrefix(slow.URL, "http://"), ErrTimeout},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, err := NewClient().Resolve(ctx, tc.host+"/team/app:1")
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}
