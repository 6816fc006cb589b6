package bundle_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/policy"
)

// BenchmarkFetch is what a command pays at start, and a webhook on each new
// bundle, for the shipped policy as a bundle: resolve the tag, verify the
// signature, read the layer and compile, against an in-process registry.
func BenchmarkFetch(b *testing.B) {
	ctx := context.Background()
	f := admittest.New(b)
	f.PushPolicy(b, "policy", "prod", admittest.Production)
	cfg, err := f.LoadBundleConfig(ctx, f.BundleConfig(b, "oci://"+f.Host+"/policy:prod", ""))
	if err != nil {
		b.Fatal(err)
	}
	ref := f.Host + "/policy:prod"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bundle.Fetch(ctx, f.Client, cfg, ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveUnchanged is what a webhook pays each poll while its
// followed tag has not moved: one HEAD request.
func BenchmarkResolveUnchanged(b *testing.B) {
	ctx := context.Background()
	f := admittest.New(b)
	f.PushPolicy(b, "policy", "prod", admittest.Production)
	ref := f.Host + "/policy:prod"
	for b.Loop() {
		if _, err := f.Client.Resolve(ctx, ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadDirectory is the same policy compiled from its directory, the
// floor BenchmarkFetch adds the registry and the signature to.
func BenchmarkLoadDirectory(b *testing.B) {
	ctx := context.Background()
	f := admittest.New(b)
	params, err := policy.LoadParams(filepath.Join(f.Dir, "production.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policy.Load(ctx, filepath.Join(f.Dir, "policies"), params); err != nil {
			b.Fatal(err)
		}
	}
}
