package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/spf13/cobra"
)

// errUnformatted exits 1: the answer (is it formatted?) is no.
var errUnformatted = fmt.Errorf("policy files are not formatted (gate policy fmt -w formats them): %w", errNotBlessed)

func newPolicyFmt() *cobra.Command {
	var write bool
	cmd := &cobra.Command{
		Use:   "fmt [-w] [DIR|FILE]...",
		Short: "Format Rego files as OPA's formatter (opa fmt) does; without -w, list those that differ and exit 1",
		Example: `  gate policy fmt policies          # lists unformatted files: exit 1 if any
  gate policy fmt -w policies       # rewrites them`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"policies"}
			}
			var unformatted int
			for _, arg := range args {
				err := filepath.WalkDir(arg, func(path string, e fs.DirEntry, err error) error {
					if err != nil || e.IsDir() || !strings.HasSuffix(path, ".rego") {
						return err
					}
					src, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					out, err := format.SourceWithOpts(path, src, format.Opts{RegoVersion: ast.RegoV1})
					if err != nil {
						return fmt.Errorf("formatting %s: %w", path, err)
					}
					if bytes.Equal(src, out) {
						return nil
					}
					if !write {
						unformatted++
						fmt.Fprintln(cmd.OutOrStdout(), path)
						return nil
					}
					fmt.Fprintf(cmd.OutOrStdout(), "formatted %s\n", path)
					return os.WriteFile(path, out, 0o644) // an existing file keeps its mode
				})
				if err != nil {
					return err
				}
			}
			if unformatted > 0 {
				return errUnformatted
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite the files that are not formatted")
	return cmd
}
