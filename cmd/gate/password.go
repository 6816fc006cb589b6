package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// password is $COSIGN_PASSWORD or, on a terminal, what the person types
// (twice when a new key is being made, as cosign asks).
func password(cmd *cobra.Command, confirm bool) ([]byte, error) {
	if pw, ok := os.LookupEnv(sign.PasswordEnv); ok {
		return []byte(pw), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("%w: set it to the password that encrypts the private keys (an empty password is allowed, as cosign allows it)", sign.ErrNoPassword)
	}
	errOut := cmd.ErrOrStderr()
	fmt.Fprint(errOut, "Enter password for private key: ")
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(errOut)
	if err != nil {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	if !confirm {
		return pw, nil
	}
	fmt.Fprint(errOut, "Enter password for private key again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(errOut)
	if err != nil {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	if !bytes.Equal(pw, again) {
		return nil, errors.New("the passwords differ: run the command again")
	}
	return pw, nil
}
