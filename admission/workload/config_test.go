package workload_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit/admittest"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		check   func(*workload.Config) bool
		wantErr string
	}{
		{"an empty file is the defaults", "", func(c *workload.Config) bool {
			return c.Mode == workload.Enforce && *c.PinDigests && c.Deadline == workload.DefaultDeadline &&
				c.NamespaceLabel == workload.DefaultNamespaceLabel && len(c.BreakGlass.Namespaces) == 0
		}, ""},
		{"every field is read", `
namespaceLabel: example.com/guard
environmentLabel: example.com/env
namespaces: {shop: {environment: production, mode: warn}}
defaultEnvironment: staging
mode: warn
pinDigests: false
deadline: 5s
breakGlass: {namespaces: [shop], annotation: example.com/emergency}
cache: {size: 10, blessedTTL: 1m, deniedTTL: 0s}
`, func(c *workload.Config) bool {
			return c.Mode == workload.Warn && !*c.PinDigests && c.Deadline == 5*time.Second && c.Namespaces["shop"].Mode == workload.Warn &&
				c.BreakGlass.Annotation == "example.com/emergency" && c.Cache.Size == 10 && *c.Cache.BlessedTTL == time.Minute && *c.Cache.DeniedTTL == 0
		}, ""},
		{"an unknown field is an error", "mdoe: warn", nil, "field mdoe not found"},
		{"an unknown mode is an error", "mode: audit", nil, `mode "audit": want enforce or warn`},
		{"a namespace's unknown mode is an error", "namespaces: {shop: {mode: off}}", nil, `namespaces.shop.mode "off"`},
		{"a deadline the API server cannot wait for is an error", "deadline: 45s", nil, "at most 29s"},
		{"a cache that keeps nothing is an error", "cache: {size: -1}", nil, "cache.size -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "webhook.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := workload.LoadConfig(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want one naming the file and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config read as %+v", c)
			}
		})
	}
}

func TestConfigCheckAgainstTrustConfig(t *testing.T) {
	f := admittest.New(t)
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"known environments pass", "namespaces: {shop: {environment: production}}\ndefaultEnvironment: staging", ""},
		{"a namespace's unknown environment is an error", "namespaces: {shop: {environment: prod}}", `namespaces.shop.environment`},
		{"an unknown default environment is an error", "defaultEnvironment: qa", "defaultEnvironment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "webhook.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := workload.LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckAgainst(f.Config)
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestExampleWebhookConfigLoads(t *testing.T) {
	c, err := workload.LoadConfig("../../examples/webhook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Namespaces["shop-canary"].Mode != workload.Warn || len(c.BreakGlass.Namespaces) != 1 {
		t.Errorf("examples/webhook.yaml read as %+v", c)
	}
}
