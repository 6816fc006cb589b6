package main

import (
	"strings"
	"testing"
)

func TestWebhookFlags(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a cluster
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // in the output
	}{
		{"outside a cluster without a kubeconfig it says what to do", map[string]string{"KUBECONFIG": ""},
			[]string{"webhook", "--namespace", "gate-system"}, []string{"--kubeconfig FILE", "$KUBECONFIG", "run gate webhook in a cluster"}},
		{"$KUBECONFIG is read", map[string]string{"KUBECONFIG": "/nonexistent/kubeconfig"},
			[]string{"webhook", "--namespace", "gate-system"}, []string{"reading kubeconfig /nonexistent/kubeconfig"}},
		{"--kubeconfig is read", nil,
			[]string{"webhook", "--namespace", "gate-system", "--kubeconfig", "/nonexistent/other"}, []string{"reading kubeconfig /nonexistent/other"}},
		{"an unknown log format is refused", nil,
			[]string{"webhook", "--log-format", "yaml"}, []string{`log format "yaml": want json or text`}},
		{"without its own namespace it does not start", map[string]string{"POD_NAMESPACE": ""},
			[]string{"webhook", "--kubeconfig", "/nonexistent/other"}, []string{"--namespace", "$POD_NAMESPACE"}},
		{"a memory limit not in bytes is refused, saying how to write it", nil,
			[]string{"webhook", "--namespace", "gate-system", "--memory-limit", "512Mi"}, []string{`--memory-limit (or $GATE_MEMORY_LIMIT) "512Mi"`, "536870912"}},
		{"$GATE_MEMORY_LIMIT is read", map[string]string{"GATE_MEMORY_LIMIT": "-1"},
			[]string{"webhook", "--namespace", "gate-system"}, []string{`"-1": want a positive whole number of bytes`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out := run(t, tt.args...)
			if code != exitUndecided {
				t.Errorf("exit %d, want %d", code, exitUndecided)
			}
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("output %q does not contain %q", out, s)
				}
			}
		})
	}
}
