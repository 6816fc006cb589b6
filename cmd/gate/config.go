package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gatehq/gate/pkg/config"
)

// loadConfig loads the trust config at path, saying how to give one when
// there is none.
func loadConfig(ctx context.Context, path string, opts ...config.Option) (*config.Config, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no trust config at %s: give one with --config FILE or $%s (gate init writes one; examples/gate.yaml is an example)", path, configEnv)
	}
	return config.Load(ctx, path, opts...)
}
