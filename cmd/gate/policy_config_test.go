package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/record"
)

// gate policy diff reads gate.yaml through the loader gate verify uses: a
// misspelled key fails both, with the same file, line and field.
func TestPolicyDiffRefusesTheConfigVerifyRefuses(t *testing.T) {
	repo := policyRepo(t)
	records := filepath.Join(t.TempDir(), "r.jsonl")
	in := policy.Input{Subject: policy.Subject{Digest: "sha256:1"}, Environment: "production", Now: recordedAt}
	if err := record.Append(records, record.Record{Digest: "sha256:1", Environment: "production", Input: &in}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ desc, yaml, want string }{
		{
			desc: "a misspelled key",
			yaml: "roles:\n  ci: {keys: [ci.pub], maySign: [tests]}\nenvironments:\n  production:\n    policy: policies\n    dta: policies/data/production.json\n",
			want: "gate.yaml:6: field dta not found in type config.EnvironmentSpec",
		},
		{
			desc: "a second document",
			yaml: "environments:\n  production: {policy: policies}\n---\nroles: {}\n",
			want: "gate.yaml:3: a second YAML document",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := filepath.Join(repo, "gate.yaml")
			if err := os.WriteFile(cfg, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			code, diff := run(t, "policy", "diff", "--base", "main", "--records", records, "--config", cfg)
			if code != exitUndecided || !strings.Contains(diff, tc.want) {
				t.Errorf("policy diff: exit %d, want %d with %q in:\n%s", code, exitUndecided, tc.want, diff)
			}
			code, verify := run(t, "verify", "reg.invalid/app:1", "--config", cfg)
			if code != exitUndecided || !strings.Contains(verify, tc.want) {
				t.Errorf("verify: exit %d, want %d with %q in:\n%s", code, exitUndecided, tc.want, verify)
			}
		})
	}
}
