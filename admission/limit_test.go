package admission_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	admissionv1 "k8s.io/api/admission/v1"
)

// TestReviewsInFlightAreBounded: while large reviews hold MaxBytesInFlight, the next large one
// is answered 429 at once, before its body is read, and a small review still gets through.
func TestReviewsInFlightAreBounded(t *testing.T) {
	f := admittest.New(t)
	w := newWebhook(t, f, webhookConfig, newCluster())
	addr := strings.TrimPrefix(w.srv.URL, "https://")
	open := func() (*tls.Conn, *bufio.Reader) {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		// The headers of a largest review, and none of its body: the bytes are held for it.
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", admission.ValidatePath, admission.MaxRequestBytes)
		return c, bufio.NewReader(c)
	}
	held := admission.MaxBytesInFlight / admission.MaxRequestBytes
	for range held {
		open()
	}
	// The server takes the held ones in on their own goroutines: ask until the next is refused.
	var status string
	for range 50 {
		_, r := open()
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if status = strings.TrimSpace(line); strings.Contains(status, "429") {
			break
		}
	}
	if !strings.Contains(status, "429") {
		t.Fatalf("a review past MaxBytesInFlight was answered %q, want 429 Too Many Requests", status)
	}
	resp := w.send(t, admission.ValidatePath, request(t, admissionv1.Create, "other", pod("web", podSpec("registry.example/web:1"), nil), nil))
	if !resp.Allowed {
		t.Errorf("a small review while large ones are held: %s", resp.Result.Message)
	}
}
