package admission

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRestConfigReadsAKubeconfigListAsKubectlDoes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cluster := write("cluster", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://api.example:6443"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
`)
	current := write("current", "apiVersion: v1\nkind: Config\ncurrent-context: c\n")
	tests := []struct {
		name, paths, wantHost, wantErr string
	}{
		{"a list, merged: one file names the context, another defines it", current + string(os.PathListSeparator) + cluster, "https://api.example:6443", ""},
		{"a file that does not exist says which", filepath.Join(dir, "missing"), "", "given by --kubeconfig or $KUBECONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := restConfig(tt.paths)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.Host != tt.wantHost {
				t.Errorf("host %q, want %q", rc.Host, tt.wantHost)
			}
		})
	}
}
