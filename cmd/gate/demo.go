package main

import (
	"github.com/gatehq/gate/internal/demo"
	"github.com/spf13/cobra"
)

func newDemo() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole story on a registry gate starts in-process: no network, nothing installed",
		Long: `demo starts an OCI registry in-process, makes throwaway keys for ci, module-lead,
qa and sre, and shows an image becoming blessed, then four ways of not being
blessed. With --keep the registry stays up afterwards, and demo prints its
address, the keys and the config, so you can go on by hand; Ctrl-C ends it.`,
		Example: `  gate demo
  gate demo --keep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts []demo.Option
			if keep {
				opts = append(opts, demo.Keep())
			}
			return demo.Run(cmd.Context(), cmd.OutOrStdout(), opts...)
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the registry running after the story, until Ctrl-C, and print how to go on by hand")
	return cmd
}
