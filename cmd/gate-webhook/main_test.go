package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// run runs gate-webhook with args in process, returning its exit code and output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	if err := root.ExecuteContext(context.Background()); err != nil {
		out.WriteString("gate-webhook: " + err.Error())
		return 2, out.String()
	}
	return 0, out.String()
}

func TestWebhookFlags(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a cluster
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // in the output
	}{
		{"outside a cluster without a kubeconfig it says what to do", map[string]string{"KUBECONFIG": ""},
			[]string{"--namespace", "gate-system"}, []string{"--kubeconfig FILE", "$KUBECONFIG", "run gate webhook in a cluster"}},
		{"$KUBECONFIG is read", map[string]string{"KUBECONFIG": "/nonexistent/kubeconfig"},
			[]string{"--namespace", "gate-system"}, []string{"reading kubeconfig /nonexistent/kubeconfig"}},
		{"--kubeconfig is read", nil,
			[]string{"--namespace", "gate-system", "--kubeconfig", "/nonexistent/other"}, []string{"reading kubeconfig /nonexistent/other"}},
		{"an unknown log format is refused", nil,
			[]string{"--log-format", "yaml"}, []string{`log format "yaml": want json or text`}},
		{"without its own namespace it does not start", map[string]string{"POD_NAMESPACE": ""},
			[]string{"--kubeconfig", "/nonexistent/other"}, []string{"--namespace", "$POD_NAMESPACE"}},
		{"a memory limit not in bytes is refused, saying how to write it", nil,
			[]string{"--namespace", "gate-system", "--memory-limit", "512Mi"}, []string{`--memory-limit (or $GATE_MEMORY_LIMIT) "512Mi"`, "536870912"}},
		{"$GATE_MEMORY_LIMIT is read", map[string]string{"GATE_MEMORY_LIMIT": "-1"},
			[]string{"--namespace", "gate-system"}, []string{`"-1": want a positive whole number of bytes`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out := run(t, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("output %q does not contain %q", out, s)
				}
			}
		})
	}
}
