package main

import (
	"fmt"

	"github.com/gatehq/gate/internal/version"
	"github.com/spf13/cobra"
)

func newVersion() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print gate's version, commit, Go version and platform",
		Example: "  gate version\n  gate version --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			i := version.Get()
			out := cmd.OutOrStdout()
			switch output {
			case "json":
				return writeJSON(out, i)
			case "text":
				_, err := fmt.Fprintf(out, "gate %s\n  commit:   %s (%s)\n  go:       %s\n  platform: %s\n", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
				return err
			default:
				return fmt.Errorf("--output %q: want text or json", output)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
