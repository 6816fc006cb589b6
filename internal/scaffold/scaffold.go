// Package scaffold writes a team's first gate setup, for `gate init`: keys per role, a commented trust config and policy data.
package scaffold

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/policies"
)

// DefaultRoles are the roles a release usually has: the pipeline, and the
// three stakeholders who must say GO.
var DefaultRoles = []string{"ci", "module-lead", "qa", "sre"}

// PipelineRole is the role that signs the pipeline's evidence; every other
// role signs approvals.
const PipelineRole = "ci"

// Options say what to scaffold. The zero value, with a password, is the
// default team.
type Options struct {
	// Roles to make; DefaultRoles when empty.
	Roles []string
	// PublicKeys maps a role to a public key file someone already holds; no
	// key pair is generated for such a role.
	PublicKeys map[string]string
	// Password encrypts the generated private keys.
	Password []byte
	// BuilderID and Source, both or neither, make provenance a gate.
	BuilderID, Source string
	// MinCoverage is the coverage gate's threshold (percent); 0 means 80.
	MinCoverage float64
}

// Result says what Init wrote.
type Result struct {
	Config     string            // the trust config
	Data       string            // the production policy data
	PrivateKey map[string]string // role -> private key file generated
	PublicKey  map[string]string // role -> public key file
}

// Init writes into dir: keys/<role>.key and .pub (or the given .pub),
// policies/ (the shipped policy, with the team's data in policies/data/),
// and gate.yaml. It refuses to overwrite a file.
func Init(dir string, o Options) (*Result, error) {
	if len(o.Roles) == 0 {
		o.Roles = DefaultRoles
	}
	if o.MinCoverage == 0 {
		o.MinCoverage = 80
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "gate.yaml")
	if _, err := os.Stat(cfgPath); err == nil {
		return nil, fmt.Errorf("%s exists: gate init writes a new setup; choose another directory", cfgPath)
	}
	r := &Result{Config: cfgPath, Data: filepath.Join(dir, "policies", "data", "production.json"),
		PrivateKey: map[string]string{}, PublicKey: map[string]string{}}
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		return nil, err
	}
	for _, role := range o.Roles {
		if err := writeKeys(dir, role, o, r); err != nil {
			return nil, err
		}
	}
	if err := copyPolicy(filepath.Join(dir, "policies")); err != nil {
		return nil, err
	}
	for name, params := range map[string]map[string]any{"production.json": o.production(), "staging.json": o.staging()} {
		b, err := json.MarshalIndent(params, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "policies", "data", name), append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(cfgPath, []byte(o.trustConfig()), 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

func (o Options) check() error {
	seen := map[string]bool{}
	for _, role := range o.Roles {
		if role == "" || strings.ContainsAny(role, `/\ :`) {
			return fmt.Errorf("--role %q: want a name such as qa or module-lead", role)
		}
		if seen[role] {
			return fmt.Errorf("--role %s is given twice", role)
		}
		seen[role] = true
	}
	for role := range o.PublicKeys {
		if !seen[role] {
			return fmt.Errorf("--pub %s=…: %s is not among the roles (%s); add --role %s", role, role, strings.Join(o.Roles, ", "), role)
		}
	}
	if (o.BuilderID == "") != (o.Source == "") {
		return errors.New("give both --builder-id and --source (provenance must name both), or neither")
	}
	if o.MinCoverage < 0 || o.MinCoverage > 100 {
		return fmt.Errorf("--min-coverage %v: want a percent from 0 to 100", o.MinCoverage)
	}
	if len(o.approvers()) == 0 {
		return errors.New("no role but ci: add a stakeholder role (--role qa, say), who must say GO")
	}
	return nil
}

func (o Options) approvers() []string {
	return slices.DeleteFunc(slices.Clone(o.Roles), func(r string) bool { return r == PipelineRole })
}

func writeKeys(dir, role string, o Options, r *Result) error {
	pub := filepath.Join(dir, "keys", role+".pub")
	if src, ok := o.PublicKeys[role]; ok {
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("--pub %s=%s: %w", role, src, err)
		}
		r.PublicKey[role] = pub
		return writeNew(pub, b, 0o644)
	}
	kp, err := sign.GenerateKeyPair(o.Password)
	if err != nil {
		return err
	}
	priv := filepath.Join(dir, "keys", role+".key")
	if err := writeNew(priv, kp.PrivatePEM, 0o600); err != nil {
		return err
	}
	r.PrivateKey[role], r.PublicKey[role] = priv, pub
	return writeNew(pub, kp.PublicPEM, 0o644)
}

// writeNew writes a file that must not exist yet: a key is never overwritten.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: not overwriting it; choose another directory", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyPolicy writes the shipped policy, so the setup works without a checkout
// and the team's policy changes go through their own review.
func copyPolicy(dst string) error {
	return fs.WalkDir(policies.FS, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, path)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(policies.FS, path)
		if err != nil {
			return err
		}
		return writeNew(target, b, 0o644)
	})
}
