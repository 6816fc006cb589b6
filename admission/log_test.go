package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"k8s.io/klog/v2"
)

func TestNewLoggerWritesOneFormatWithDurationsInMilliseconds(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{admission.LogJSON, `"deadlineMs":8000`},
		{admission.LogText, `deadlineMs=8000`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var out bytes.Buffer
			log, err := admission.NewLogger(&out, tt.format)
			if err != nil {
				t.Fatal(err)
			}
			log.Info("serving", "deadline", 8*time.Second)
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("log %q does not contain %q", out.String(), tt.want)
			}
		})
	}
	if _, err := admission.NewLogger(&bytes.Buffer{}, "yaml"); err == nil || !strings.Contains(err.Error(), "json or text") {
		t.Errorf("an unknown format: %v, want an error naming json and text", err)
	}
}

// TestRunLogsClientGoThroughItsOwnLogger: what client-go logs through klog comes out as the
// webhook's own JSON lines, not klog's text.
func TestRunLogsClientGoThroughItsOwnLogger(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeFile(kubeconfig, kubeconfigFor("https://127.0.0.1:1")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	log, err := admission.NewLogger(&out, admission.LogJSON)
	if err != nil {
		t.Fatal(err)
	}
	defer klog.ClearLogger()
	// Run stops at the missing trust config, after it has set up its logging.
	_ = admission.Run(context.Background(), admission.Options{Namespace: "gate-system", Kubeconfig: kubeconfig,
		TrustConfig: filepath.Join(dir, "missing.yaml"), Log: log})
	klog.ErrorS(nil, "failed to list *v1.Namespace", "reflector", "informers/factory.go:160")
	klog.Flush()
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &line); err != nil {
		t.Fatalf("klog's line is not the webhook's JSON: %q (%v)", out.String(), err)
	}
	if line["msg"] != "failed to list *v1.Namespace" || line["level"] != "ERROR" {
		t.Errorf("klog's line %v lost its message or level", line)
	}
}

func TestRunSaysHowToReachTheAPIServer(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a cluster
	err := admission.Run(context.Background(), admission.Options{Namespace: "gate-system", Log: discard()})
	if err != admission.ErrNoKubeconfig {
		t.Fatalf("Run outside a cluster without a kubeconfig: %v, want ErrNoKubeconfig", err)
	}
	for _, s := range []string{"--kubeconfig", "$KUBECONFIG", "in a cluster"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not mention %s", err, s)
		}
	}
}

func kubeconfigFor(server string) string {
	return `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "` + server + `", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`
}
