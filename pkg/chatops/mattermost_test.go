package chatops

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
)

const mmToken = "xr3j5x3p4pfjpxqz8kgq3z5pnr"

// mattermost returns a slash command as Mattermost posts it, with token in its Authorization
// header (header) or in its form (!header).
func mattermost(token string, header bool) *http.Request {
	v := url.Values{"command": {"/gate"}, "text": {"help"}, "team_domain": {"shop"}, "user_name": {"alice"}}
	if token != "" && !header {
		v.Set("token", token)
	}
	r := httptest.NewRequest(http.MethodPost, "/slack/command", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" && header {
		r.Header.Set("Authorization", "Token "+token)
	}
	return r
}

func TestMattermostTokenIsRequiredAndCompared(t *testing.T) {
	both, err := NewFor(Credentials{SlackSecret: secret, MattermostToken: mmToken}, oci.NewClient(), &config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	slackOnly, _ := New(secret, oci.NewClient(), &config.Config{})
	mmOnly, _ := NewFor(Credentials{MattermostToken: mmToken}, oci.NewClient(), &config.Config{})
	for _, tc := range []struct {
		desc string
		h    http.Handler
		r    *http.Request
		want int
	}{
		{"the token in the Authorization header", both, mattermost(mmToken, true), http.StatusOK},
		{"the token in the form", both, mattermost(mmToken, false), http.StatusOK},
		{"a wrong token", both, mattermost("y"+mmToken[1:], true), http.StatusUnauthorized},
		{"a token that is a prefix of the right one", both, mattermost(mmToken[:10], false), http.StatusUnauthorized},
		{"no token", both, mattermost("", true), http.StatusUnauthorized},
		{"the right token where only Slack is configured", slackOnly, mattermost(mmToken, true), http.StatusUnauthorized},
		{"a Slack-signed request where only Mattermost is configured", mmOnly, signed(form("help"), secret, time.Now()), http.StatusUnauthorized},
		{"a Slack-signed request where both are", both, signed(form("help"), secret, time.Now()), http.StatusOK},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, text := do(tc.h, tc.r)
			if code != tc.want {
				t.Fatalf("status %d, want %d", code, tc.want)
			}
			if code == http.StatusOK && !strings.Contains(text, "Usage") {
				t.Errorf("answered %q, want the usage", text)
			}
		})
	}
	if _, err := NewFor(Credentials{}, oci.NewClient(), &config.Config{}); err == nil {
		t.Error("a handler with no credentials at all was made")
	}
}
