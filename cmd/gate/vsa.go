package main

import (
	"context"
	"errors"
	"os"

	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

// defaultVerifierID names gate as the verifier in a VSA when --verifier-id
// does not name the instance (a CI system, a cluster) that ran it.
const defaultVerifierID = "https://gatehq.dev/gate/verify"

// vsaFlags are gate verify's flags for signing its decision as a SLSA VSA.
type vsaFlags struct {
	attest     bool
	out        string
	key        string
	verifierID string
	signer     *sign.Signer
}

func (f *vsaFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.attest, "attest-vsa", false, "sign the decision as a SLSA verification summary (VSA v1) with --key and push it as a referrer of the image")
	cmd.Flags().StringVar(&f.out, "vsa-out", "", "write the signed VSA (a Sigstore bundle) to this file; with --key")
	cmd.Flags().StringVar(&f.key, "key", "", "the verifier's cosign private key for --attest-vsa and --vsa-out (password from $"+sign.PasswordEnv+")")
	cmd.Flags().StringVar(&f.verifierID, "verifier-id", defaultVerifierID, "the VSA's verifier.id: a URI naming who verified")
}

// load reads the key before anything is verified, so a wrong key or
// password is exit 2 at once. It does nothing when no VSA is asked for.
func (f *vsaFlags) load() error {
	if !f.attest && f.out == "" {
		return nil
	}
	if f.key == "" {
		return errors.New("--attest-vsa and --vsa-out sign the verification summary: give the verifier's key with --key")
	}
	var err error
	f.signer, err = sign.LoadKeyFromEnv(f.key)
	return err
}

// emit signs dec as a VSA and pushes it, writes it, or both, as asked.
func (f *vsaFlags) emit(ctx context.Context, c *oci.Client, dec *gate.Decision) error {
	if f.signer == nil {
		return nil
	}
	s, err := gate.Summarize(ctx, c, f.signer, dec, f.verifierID, f.attest)
	if err != nil {
		return err
	}
	if f.out != "" {
		return os.WriteFile(f.out, s.Bundle, 0o644)
	}
	return nil
}
