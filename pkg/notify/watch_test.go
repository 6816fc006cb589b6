package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/notify"
	"github.com/gatehq/gate/pkg/release"
	"github.com/slack-go/slack"
)

// chat is an incoming webhook that keeps what it is sent, and can be made to fail.
type chat struct {
	mu   sync.Mutex
	got  []slack.WebhookMessage
	fail bool
}

func (c *chat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var m slack.WebhookMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.got = append(c.got, m)
}

func (c *chat) take() []slack.WebhookMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.got
	c.got = nil
	return out
}

func TestWatchAnnouncesVotesFlipsAndNewDigestsOnce(t *testing.T) {
	f := admittest.New(t)
	ctx := context.Background()
	img, _ := f.Image(t, "shop/web", "1.0")
	f.Evidence(t, img, "module-lead") // production still wants qa's and sre's GO
	c := &chat{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	w, err := notify.New(f.Client, f.Config, []string{f.Host + "/shop/web"}, srv.URL, release.Options{Environments: []string{admittest.Production}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	poll := func(want int) []slack.WebhookMessage {
		t.Helper()
		n, err := w.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := c.take()
		if n != want || len(got) != want {
			t.Fatalf("posted %d (chat got %d), want %d: %+v", n, len(got), want, got)
		}
		return got
	}
	poll(0) // the baseline: nothing is announced
	poll(0) // nothing changed

	f.Approve(t, img, "qa", attestations.DecisionGo)
	m := poll(1)[0].Text
	for _, want := range []string{"shop/web:1.0", "landed: GO from qa", "reviewed by qa", "production", "not blessed", "FAIL"} {
		if !strings.Contains(m, want) {
			t.Errorf("qa's GO: message lacks %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "BLESSED in") {
		t.Errorf("qa's GO flipped nothing, yet:\n%s", m)
	}

	f.Approve(t, img, "sre", attestations.DecisionGo)
	m = poll(1)[0].Text
	for _, want := range []string{"landed: GO from sre", "now BLESSED in production"} {
		if !strings.Contains(m, want) {
			t.Errorf("sre's GO: message lacks %q:\n%s", want, m)
		}
	}
	poll(0) // announced once

	next, _ := f.Image(t, "shop/web", "1.1")
	c.fail = true
	f.Approve(t, next, "qa", attestations.DecisionNoGo)
	if _, err := w.Poll(ctx); err == nil {
		t.Fatal("a chat that refused the message was not reported")
	}
	c.fail = false
	c.take()
	m = poll(1)[0].Text // tried again, once
	for _, want := range []string{"shop/web:1.1", "new digest", "NOGO from qa"} {
		if !strings.Contains(m, want) {
			t.Errorf("new digest: message lacks %q:\n%s", want, m)
		}
	}
}

func TestWatchEscapesSignedText(t *testing.T) {
	f := admittest.New(t)
	img, _ := f.Image(t, "shop/web", "1.0")
	c := &chat{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	w, err := notify.New(f.Client, f.Config, []string{f.Host + "/shop/web"}, srv.URL, release.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := gate.Approval{Role: "qa", Decision: attestations.DecisionNoGo, Reason: "<!channel> see <http://evil.example|the runbook>"}
	if _, err := gate.Approve(context.Background(), f.Client, f.Signer("qa"), img, a, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Poll(context.Background()); err != nil || n != 1 {
		t.Fatalf("posted %d, %v", n, err)
	}
	m := c.take()[0].Text
	if strings.Contains(m, "<!channel>") || strings.Contains(m, "<http") || !strings.Contains(m, "&lt;!channel&gt;") {
		t.Errorf("markup from signed evidence reached the chat unescaped:\n%s", m)
	}
}
