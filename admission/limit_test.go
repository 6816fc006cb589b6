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

// TestStatedLengthsHoldNothing: the headers of reviews stating more than MaxBytesInFlight in
// all, whose bodies never come, are each taken in (the body is asked for: 100 Continue), and
// an ordinary review sent meanwhile is still decided. Were bytes charged as stated, the
// stalled clients would hold the budget and every review would be answered 429 until their
// read timeout — an outage anyone who reaches the webhook could keep up.
func TestStatedLengthsHoldNothing(t *testing.T) {
	f := admittest.New(t)
	w := newWebhook(t, f, webhookConfig, newCluster())
	addr := strings.TrimPrefix(w.srv.URL, "https://")
	const stated = 1 << 20
	for i := range 2 * admission.MaxBytesInFlight / stated {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", admission.ValidatePath, stated)
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(line, "100 Continue") {
			t.Fatalf("stalled client %d, stating %d bytes and sending none, was answered %q, want 100 Continue", i, stated, strings.TrimSpace(line))
		}
	}
	resp := w.send(t, admission.ValidatePath, request(t, admissionv1.Create, "other", pod("web", podSpec("registry.example/web:1"), nil), nil))
	if !resp.Allowed {
		t.Errorf("a small review while stalled clients state %d MiB: %s", 2*admission.MaxBytesInFlight>>20, resp.Result.Message)
	}
}
