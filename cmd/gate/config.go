package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
)

// loadConfig loads the trust config at path, saying how to give one when
// there is none. Policy bundles (oci://) are fetched with a default client
// unless opts give a fetcher (withBundles) of the command's own client.
func loadConfig(ctx context.Context, path string, opts ...config.Option) (*config.Config, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no trust config at %s: give one with --config FILE or $%s (gate init writes one; examples/gate.yaml is an example)", path, configEnv)
	}
	opts = append([]config.Option{withBundles(oci.NewClient())}, opts...)
	return config.Load(ctx, path, opts...)
}

// withBundles fetches and verifies oci:// policies through c.
func withBundles(c *oci.Client) config.Option {
	return config.WithPolicyFetcher(bundle.Fetcher(c))
}
