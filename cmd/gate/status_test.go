package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehq/gate/internal/demo"
	"github.com/google/go-containerregistry/pkg/registry"
)

// TestStatusAndBlessedOnTheStory runs gate status and gate blessed on the
// demo's story plus a release 1.3 with every GO, checking exit codes and
// what a script reads.
func TestStatusAndBlessedOnTheStory(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	s, err := demo.Seed(ctx, host, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	release, err := s.Release(ctx, "1.3", "module-lead", "qa", "sre")
	if err != nil {
		t.Fatal(err)
	}
	_, afterDigest, _ := strings.Cut(release, "@")

	tests := []struct {
		desc string
		args []string
		code int
		want string
	}{
		{"the table reads", []string{"status", s.Repository, "--config", s.Config}, 0, "no runbook for the new payment queue"},
		{"the table as JSON", []string{"status", s.Repository + ":1.2-waiting", "--config", s.Config, "-o", "json"}, 0, `"decision": "NOGO"`},
		{"latest blessed, for scripts", []string{"blessed", s.Repository, "--config", s.Config, "--latest"}, 0, release + "\n"},
		{"none blessed before the only tagged blessed build", []string{"blessed", s.Repository, "--config", s.Config, "--before", afterDigest}, 1, "no blessed digest in demo before"},
		{"before 1.1-failing no tagged build is blessed (the original 1.0 lost its tag)", []string{"blessed", s.Repository, "--config", s.Config, "--before", strings.SplitN(s.Failing, "@", 2)[1]}, 1, "no blessed digest"},
		{"an unknown environment cannot be decided", []string{"blessed", s.Repository, "--config", s.Config, "--env", "nowhere"}, 2, `no environment "nowhere"`},
		{"an unreachable registry is exit 2, not 'none blessed'", []string{"blessed", "127.0.0.1:1/acme/shop", "--config", s.Config, "--timeout", "5s"}, 2, "could not be reached"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			code, out := run(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("gate %s: exit %d, want %d; output lacks %q?\n%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out)
			}
		})
	}
}
