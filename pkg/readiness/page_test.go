package readiness

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/internal/demo"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/registry"
)

const xss = "<script>alert(1)</script>"

// TestPageEscapesEvidence serves the page over the demo's story with a qa
// NOGO whose reason is a script: the reason shows as text, and the page
// holds no script element at all.
func TestPageEscapesEvidence(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	s, err := demo.Seed(ctx, strings.TrimPrefix(srv.URL, "http://"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, s.Failing, "qa", "NOGO", xss); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(ctx, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(oci.NewClient(), cfg, Options{Repositories: []string{s.Repository}})
	if err != nil {
		t.Fatal(err)
	}
	page := httptest.NewServer(p)
	t.Cleanup(page.Close)

	resp, err := http.Get(page.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, html)
	}
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Errorf("the page holds a script element:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the reason does not appear escaped:\n%s", html)
	}
	for _, want := range []string{`<meta http-equiv="refresh" content="30">`, "BLESSED", "NOGO", "no runbook for the new payment queue", "--role sre --decision go"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q, want scripts refused", csp)
	}
	for _, req := range []struct{ method, path string }{{http.MethodPost, "/"}, {http.MethodGet, "/elsewhere"}} {
		r, _ := http.NewRequest(req.method, page.URL+req.path, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("%s %s: status %d, want refused: the page only reads", req.method, req.path, resp.StatusCode)
		}
	}
}

// TestPageSaysWhenItCannotRead shows a registry fault as one, with a 502,
// never as an empty table.
func TestPageSaysWhenItCannotRead(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	p, err := New(oci.NewClient(), &config.Config{Environments: map[string]*config.Environment{"prod": {Name: "prod"}}}, Options{Repositories: []string{host + "/acme/shop"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "Could not read this repository") {
		t.Errorf("status %d, body:\n%s", rec.Code, rec.Body.String())
	}
}

func TestNewRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		desc string
		opts Options
	}{
		{"no repository", Options{}},
		{"a refresh faster than the registry should be read", Options{Repositories: []string{"r.example/a"}, Refresh: time.Second}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := New(oci.NewClient(), &config.Config{}, tc.opts); err == nil {
				t.Errorf("New accepted %+v", tc.opts)
			}
		})
	}
}
