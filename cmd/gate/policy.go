package main

import (
	"errors"

	"github.com/gatehq/gate/pkg/policy"
	"github.com/spf13/cobra"
)

func newPolicy() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Work on Rego policies"}
	var verbose bool
	test := &cobra.Command{
		Use:   "test [DIR|FILE]...",
		Short: "Run the Rego unit tests (*_test.rego) of policies, as opa test does; non-zero exit on failure",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"policies"}
			}
			ok, err := policy.Test(cmd.Context(), args, cmd.OutOrStdout(), verbose)
			if err != nil {
				return err
			}
			if !ok {
				return errTestsFailed
			}
			return nil
		},
	}
	test.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every test, not only failures")
	cmd.AddCommand(test)
	return cmd
}

var errTestsFailed = errors.New("policy tests failed")
