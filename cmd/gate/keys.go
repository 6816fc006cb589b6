package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newGenerateKeyPair() *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "generate-key-pair",
		Short: "Write PREFIX.key and PREFIX.pub in cosign's format, encrypted with $" + sign.PasswordEnv,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, ok := os.LookupEnv(sign.PasswordEnv)
			if !ok {
				return fmt.Errorf("generating key pair: %w (an empty password is allowed, as cosign allows it)", sign.ErrNoPassword)
			}
			kp, err := sign.GenerateKeyPair([]byte(pw))
			if err != nil {
				return err
			}
			for _, f := range []struct {
				path string
				data []byte
				mode os.FileMode
			}{{prefix + ".key", kp.PrivatePEM, 0o600}, {prefix + ".pub", kp.PublicPEM, 0o644}} {
				if _, err := os.Stat(f.path); err == nil {
					return fmt.Errorf("%s exists: not overwriting a key", f.path)
				} else if !errors.Is(err, os.ErrNotExist) {
					return err
				}
				if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key and %s.pub\n", prefix, prefix)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "file name prefix of the key pair")
	return cmd
}
