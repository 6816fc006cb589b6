package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newGenerateKeyPair() *cobra.Command {
	var (
		prefix string
		force  bool
	)
	cmd := &cobra.Command{
		Use:   "generate-key-pair",
		Short: "Write PREFIX.key and PREFIX.pub in cosign's format, encrypted with $" + sign.PasswordEnv + " (or a password typed twice)",
		Example: `  COSIGN_PASSWORD=… gate generate-key-pair --output-key-prefix qa
  gate generate-key-pair --output-key-prefix qa --force   # replace an existing pair`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files := []struct {
				path string
				mode os.FileMode
			}{{prefix + ".key", 0o600}, {prefix + ".pub", 0o644}}
			for _, f := range files {
				if _, err := os.Stat(f.path); err == nil && !force {
					return fmt.Errorf("%s exists: not overwriting a key (--force replaces it; whatever it signed stops verifying once the config holds the new .pub)", f.path)
				} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			pw, err := password(cmd, true)
			if err != nil {
				return fmt.Errorf("generating key pair: %w", err)
			}
			kp, err := sign.GenerateKeyPair(pw)
			if err != nil {
				return err
			}
			for i, data := range [][]byte{kp.PrivatePEM, kp.PublicPEM} {
				if force {
					_ = os.Remove(files[i].path) // a new file gets the mode below
				}
				if err := os.WriteFile(files[i].path, data, files[i].mode); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key and %s.pub\n", prefix, prefix)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "file name prefix of the key pair")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing key pair")
	return cmd
}
