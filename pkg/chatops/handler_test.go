package chatops

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/internal/demo"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/slack-go/slack"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// form is a slash command as Slack posts it.
func form(text string) string {
	return url.Values{"command": {"/gate"}, "text": {text}, "team_id": {"T1"}, "user_name": {"alice"}, "response_url": {"https://hooks.slack.invalid/x"}}.Encode()
}

// signed returns a request signed as Slack signs, with key, at ts.
func signed(body, key string, ts time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/command", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return r
}

func do(h http.Handler, r *http.Request) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var m slack.Msg
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m.Text
}

// TestOnlySignedFreshNewRequestsAreAnswered refuses what Slack did not sign
// just now, once: no headers, the wrong secret, a tampered body, a stale
// timestamp, a replay, and a GET.
func TestOnlySignedFreshNewRequestsAreAnswered(t *testing.T) {
	h, err := New(secret, oci.NewClient(), &config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	body := form("approve r.example/shop@sha256:" + strings.Repeat("a", 64) + " --role qa")
	unsigned := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	tampered := signed(body, secret, now)
	tampered.Body = io.NopCloser(strings.NewReader(body + "&text=blessed"))
	tests := []struct {
		desc string
		req  *http.Request
		want int
	}{
		{"unsigned", unsigned, http.StatusUnauthorized},
		{"signed with another secret", signed(body, "not-the-secret", now), http.StatusUnauthorized},
		{"body changed after signing", tampered, http.StatusUnauthorized},
		{"signed ten minutes ago", signed(body, secret, now.Add(-10*time.Minute)), http.StatusUnauthorized},
		{"signed ten minutes ahead", signed(body, secret, now.Add(10*time.Minute)), http.StatusUnauthorized},
		{"a GET", httptest.NewRequest(http.MethodGet, "/", nil), http.StatusMethodNotAllowed},
		{"signed now", signed(body, secret, now), http.StatusOK},
		{"the same request again: a replay", signed(body, secret, now), http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if code, text := do(h, tc.req); code != tc.want {
				t.Errorf("status %d (%q), want %d", code, text, tc.want)
			}
		})
	}
}

// TestAnswersFromTheReleaseTable answers status, blessed and approve over
// the demo's story, with strings from the evidence inert in Slack's markup.
func TestAnswersFromTheReleaseTable(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	s, err := demo.Seed(ctx, strings.TrimPrefix(srv.URL, "http://"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rel, err := s.Release(ctx, "1.3", "module-lead", "qa", "sre")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, s.Failing, "qa", "NOGO", "<!channel> <https://evil.example|click>"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(ctx, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(secret, oci.NewClient(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.now = time.Now
	for _, tc := range []struct {
		desc, text string
		want       []string
		not        string
	}{
		{"status of the waiting build", "status " + s.Repository + ":1.2-waiting", []string{"*NOT BLESSED*", "NOGO sre (sre.pub): “no runbook for the new payment queue”"}, ""},
		{"a reason cannot mention the channel or link", "status " + s.Repository + ":1.1-failing --env demo", []string{"&lt;!channel&gt; &lt;https://evil.example|click&gt;"}, "<!channel>"},
		{"the rollback targets", "blessed " + s.Repository, []string{"Blessed in demo", rel}, ""},
		{"a vote is a signature", "approve " + s.Waiting + " --role sre", []string{"gate approve " + s.Waiting + " --key sre.key --role sre --decision go"}, ""},
		{"usage", "hello", []string{"Usage: `/gate status"}, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, text := do(h, signed(form(tc.text), secret, time.Now()))
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("answer lacks %q:\n%s", w, text)
				}
			}
			if tc.not != "" && strings.Contains(text, tc.not) {
				t.Errorf("answer holds %q:\n%s", tc.not, text)
			}
		})
	}
}

func TestReplayMemoryIsBoundedAndForgets(t *testing.T) {
	r := newReplays(time.Minute, 2)
	t0 := time.Now()
	if !r.first("a", t0) || !r.first("b", t0) {
		t.Fatal("new keys refused")
	}
	if r.first("c", t0) {
		t.Error("a full memory accepted a request it cannot remember: it could be replayed")
	}
	if !r.first("c", t0.Add(3*time.Minute)) || !r.first("a", t0.Add(3*time.Minute)) {
		t.Error("keys older than twice the window are not forgotten")
	}
}
