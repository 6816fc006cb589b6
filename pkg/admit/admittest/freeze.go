package admittest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/sign"
)

// FreezeRepository is the repository, on the fixture's registry, that WithFreeze names.
const FreezeRepository = "gate/freeze"

// FreezeConfig is the freeze section WithFreeze appends to the trust config: sre may freeze.
func (f *Fixture) FreezeConfig() string {
	return "freeze:\n  repository: " + f.Host + "/" + FreezeRepository + "\n  roles: [sre]\n"
}

// WithFreeze appends FreezeConfig to the fixture's trust config and reloads it into f.Config.
func (f *Fixture) WithFreeze(t testing.TB) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(f.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, filepath.Base(f.ConfigPath), append(raw, f.FreezeConfig()...))
	if f.Config, err = config.Load(context.Background(), f.ConfigPath); err != nil {
		t.Fatal(err)
	}
	return f.Config
}

// Signer returns the key of role, to sign what the fixture has no verb for (a freeze).
func (f *Fixture) Signer(role string) *sign.Signer { return f.signers[role] }
