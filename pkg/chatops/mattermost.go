package chatops

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
)

// Credentials authenticate the chat servers' slash-command requests; at least one is needed.
type Credentials struct {
	// SlackSecret is Slack's signing secret: each request is signed, fresh and seen once.
	SlackSecret string
	// MattermostToken is the token Mattermost shows for the slash command. Mattermost sends
	// it as is, unsigned and without a time, so a captured request could be replayed: serve
	// Mattermost's endpoint over TLS only.
	MattermostToken string
}

// NewFor returns a handler that answers requests authenticated by any of creds.
func NewFor(creds Credentials, c *oci.Client, cfg *config.Config) (*Handler, error) {
	if creds.SlackSecret == "" && creds.MattermostToken == "" {
		return nil, errors.New("no Slack signing secret and no Mattermost token: set one from the chat server's slash-command settings")
	}
	h := &Handler{secret: creds.SlackSecret, mattermost: creds.MattermostToken, client: c, cfg: cfg, replays: newReplays(Window, maxRemembered), now: time.Now}
	return h, nil
}

// mattermostToken returns the token a request carries as Mattermost sends it: the
// Authorization header ("Token …"), or the form's token field; "" when it has none.
func mattermostToken(header http.Header, body []byte) string {
	if tok, ok := strings.CutPrefix(header.Get("Authorization"), "Token "); ok {
		return strings.TrimSpace(tok)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get("token")
}

// authenticateMattermost compares the request's token with the configured one in constant time.
func (h *Handler) authenticateMattermost(header http.Header, body []byte) error {
	got := mattermostToken(header, body)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.mattermost)) != 1 {
		return errors.New("wrong or missing Mattermost token")
	}
	return nil
}
