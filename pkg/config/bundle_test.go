package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/policy"
)

// Each mistake in an oci:// policy is a config error naming its field; a
// bundle environment is never loaded without a fetcher to verify it.
func TestBundlePolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		desc, env, top string
		fetch          bool
		want           []string
	}{
		{desc: "data beside a bundle", env: `{policy: "oci://reg.example/p:prod", data: d.json}`, fetch: true,
			want: []string{"environments.production.data", "carries its own data"}},
		{desc: "not a reference", env: `{policy: "oci://Reg Example/p"}`, fetch: true,
			want: []string{"environments.production.policy", "oci://REG/REPO@sha256"}},
		{desc: "a poll that is no duration", env: `{policy: "oci://reg.example/p:prod", policyPoll: soon}`, fetch: true,
			want: []string{"environments.production.policyPoll", "at least 1s"}},
		{desc: "a poll too short, at the top", top: "policyPoll: 10ms\n", env: `{policy: "oci://reg.example/p:prod"}`, fetch: true,
			want: []string{"policyPoll", "at least 1s"}},
		{desc: "a poll for a directory", env: `{policy: pol, policyPoll: 1m}`, fetch: true,
			want: []string{"environments.production.policyPoll", "only a policy bundle"}},
		{desc: "no fetcher", env: `{policy: "oci://reg.example/p:prod"}`,
			want: []string{"environments.production.policy", "does not fetch"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := writeBundleConfig(t, tc.top, tc.env)
			var opts []Option
			if tc.fetch {
				opts = append(opts, WithPolicyFetcher(func(context.Context, *Config, string) (*policy.Policy, error) {
					t.Fatal("fetched a bundle the config should have refused")
					return nil, nil
				}))
			}
			_, err := Load(context.Background(), path, opts...)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// A pinned digest and a followed tag are told apart, and each poll is as configured.
func TestBundlePolicyRefs(t *testing.T) {
	const digest = "sha256:0123456789012345678901234567890123456789012345678901234567890123"
	for _, tc := range []struct {
		env, top string
		pinned   bool
		poll     time.Duration
	}{
		{env: `{policy: "oci://reg.example/p@` + digest + `"}`, pinned: true, poll: DefaultPolicyPoll},
		{env: `{policy: "oci://reg.example/p:prod"}`, top: "policyPoll: 30s\n", poll: 30 * time.Second},
		{env: `{policy: "oci://reg.example/p:prod", policyPoll: 5s}`, top: "policyPoll: 30s\n", poll: 5 * time.Second},
	} {
		path := writeBundleConfig(t, tc.top, tc.env)
		var got string
		cfg, err := Load(context.Background(), path, WithPolicyFetcher(func(ctx context.Context, _ *Config, ref string) (*policy.Policy, error) {
			got = ref
			return policy.Load(ctx, filepath.Join(filepath.Dir(path), "pol"), nil)
		}))
		if err != nil {
			t.Fatal(err)
		}
		b := cfg.Environments["production"].Bundle
		if b == nil || b.Pinned != tc.pinned || b.Poll != tc.poll || got != b.Ref {
			t.Errorf("%s: bundle %+v fetched as %q, want pinned %v polled every %s", tc.env, b, got, tc.pinned, tc.poll)
		}
	}
}

func writeBundleConfig(t *testing.T, top, env string) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	pub, err := os.ReadFile("../../examples/keys/ci.pub")
	must(err)
	must(os.WriteFile(filepath.Join(dir, "k.pub"), pub, 0o600))
	must(os.Mkdir(filepath.Join(dir, "pol"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "pol", "p.rego"), []byte("package gate.blessed\n\npredicate_types := set()\n\ndecision := {\"allowed\": false, \"gates\": []}\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "d.json"), []byte("{}"), 0o600))
	path := filepath.Join(dir, "gate.yaml")
	must(os.WriteFile(path, []byte(top+"roles:\n  owner: {keys: [k.pub], maySign: [policy]}\nenvironments:\n  production: "+env+"\n"), 0o600))
	return path
}
