package oci

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// TestTags lists every tag across pages (two a page), whether or not the
// registry honours "last"; refuses a Link to another host; and reports an
// unreachable registry as one, never as no tags.
func TestTags(t *testing.T) {
	all := []string{"v1", "sha256-aa.att", "latest", "1.0", "1.1"}
	for _, tc := range []struct {
		desc string
		srv  *tagServer
		want []string
		err  bool
	}{
		{"sorted, honouring last", &tagServer{tags: all, honourLast: true}, []string{"1.0", "1.1", "latest", "sha256-aa.att", "v1"}, false},
		{"in its own order, by page", &tagServer{tags: all}, all, false},
		{"a Link to another registry", &tagServer{tags: all, linkHost: "elsewhere.example"}, nil, true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			srv := httptest.NewServer(tc.srv)
			defer srv.Close()
			repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/r")
			if err != nil {
				t.Fatal(err)
			}
			got, err := NewClient().Tags(context.Background(), repo)
			if (err != nil) != tc.err || !tc.err && !slices.Equal(got, tc.want) {
				t.Errorf("Tags = %v, %v; want %v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
	srv := httptest.NewServer(&tagServer{})
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/r")
	srv.Close()
	if got, err := NewClient().Tags(context.Background(), repo); !errors.Is(err, ErrUnreachable) {
		t.Errorf("closed registry: %v, %v; want ErrUnreachable", got, err)
	}
}
