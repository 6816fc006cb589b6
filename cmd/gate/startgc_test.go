package main

import (
	"strings"
	"testing"
)

// TestOnlyVerifyRunsUncollected checks which commands keep the collector
// off that internal/startgc turned off: verify alone, which exits once
// decided and reads within a budget; every server and every other command
// collects.
func TestOnlyVerifyRunsUncollected(t *testing.T) {
	for _, tc := range []struct {
		args     string
		collects bool
	}{
		{"verify reg.example/app@sha256:0 --config gate.yaml", false},
		{"verify --env production reg.example/app:1", false},
		{"webhook", true},
		{"serve", true},
		{"watch", true},
		{"status reg.example/app", true},
		{"demo --keep", true},
		{"policy test", true},
		{"", true},
		{"no-such-command", true},
	} {
		if got := collects(newRoot(), strings.Fields(tc.args)); got != tc.collects {
			t.Errorf("gate %s: collects %v, want %v", tc.args, got, tc.collects)
		}
	}
}
