package demo

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
)

// Seeded is what Seed left in a registry and a directory: the demo's story,
// for tests and pages that show it.
type Seeded struct {
	// Config is the trust config (dir/gate.yaml); the roles' keys, in
	// cosign's format encrypted with KeyPassword, are beside it as ROLE.key.
	Config string
	// Repository is where the story's images are (HOST/acme/shop).
	Repository string
	// The story's images by digest reference: blessed (tag 1.0 until the
	// rebuild), failing its integration tests, waiting with a NOGO from sre,
	// and the rebuild that took the tag 1.0.
	Blessed, Failing, Waiting, Rebuilt string
	d                                  *demo
}

// KeyPassword decrypts the keys Seed writes.
const KeyPassword = password

// Seed tells the demo's story, silently, on the registry at host, with its
// keys and trust config written to dir (which the caller removes).
func Seed(ctx context.Context, host, dir string) (*Seeded, error) {
	s, err := Prepare(ctx, host, dir)
	if err != nil {
		return nil, err
	}
	if err := s.d.story(ctx); err != nil {
		return nil, err
	}
	if len(s.d.pushed) != 4 {
		return nil, fmt.Errorf("demo: the story pushed %d images, Seed knows of 4", len(s.d.pushed))
	}
	s.Blessed, s.Failing, s.Waiting, s.Rebuilt = s.d.pushed[0], s.d.pushed[1], s.d.pushed[2], s.d.pushed[3]
	return s, nil
}

// Prepare is Seed without the story: the keys and the trust config, for a
// caller that pushes its own releases (with Release) on the registry at host.
func Prepare(ctx context.Context, host, dir string) (*Seeded, error) {
	d := &demo{w: io.Discard, dir: dir, client: oci.NewClient(), signers: map[string]*sign.Signer{}, host: host}
	if err := d.setUp(ctx); err != nil {
		return nil, err
	}
	return &Seeded{Config: filepath.Join(dir, "gate.yaml"), Repository: host + "/acme/shop", d: d}, nil
}

// Release pushes a new image under tag, runs the passing pipeline on it and
// collects a GO from each of goFrom, as the story's first build does; it
// returns the image by digest.
func (s *Seeded) Release(ctx context.Context, tag string, goFrom ...string) (string, error) {
	ref, byDigest, err := s.d.push(ctx, tag)
	if err != nil {
		return "", err
	}
	if err := s.d.pipeline(ctx, ref, "integration-pass.xml"); err != nil {
		return "", err
	}
	return byDigest, s.d.approvals(ctx, byDigest, goFrom...)
}

// Approve signs role's decision (GO or NOGO) on ref, with reason.
func (s *Seeded) Approve(ctx context.Context, ref, role, decision, reason string) error {
	return s.d.approve(ctx, ref, role, decision, reason)
}
