package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehq/gate/internal/scaffold"
	"github.com/spf13/cobra"
)

func newInit() *cobra.Command {
	var (
		o    scaffold.Options
		pubs []string
	)
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a team's first setup: a key pair per role, gate.yaml, the policy and its data",
		Long: `init writes into DIR (default .): keys/ROLE.key and keys/ROLE.pub for each role
(private keys encrypted with $COSIGN_PASSWORD), policies/ (the shipped policy, with
the team's data in policies/data/production.json and staging.json), and gate.yaml,
every knob commented. It never overwrites a file.`,
		Example: `  gate init release --builder-id https://ci.example/builders/release --source git+https://git.example/shop
  gate init release --role ci --role qa --pub qa=alice.pub`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			o.PublicKeys = map[string]string{}
			for _, p := range pubs {
				role, file, ok := strings.Cut(p, "=")
				if !ok || role == "" || file == "" {
					return fmt.Errorf("--pub %q: want ROLE=FILE, e.g. --pub qa=alice.pub", p)
				}
				o.PublicKeys[role] = file
			}
			if len(o.PublicKeys) < len(roleList(o.Roles)) {
				pw, err := password(cmd, true)
				if err != nil {
					return err
				}
				o.Password = pw
			}
			r, err := scaffold.Init(dir, o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %s, %s and keys:\n", r.Config, r.Data)
			for _, role := range roleList(o.Roles) {
				if k, ok := r.PrivateKey[role]; ok {
					fmt.Fprintf(out, "  %-12s %s (give it to whoever holds the role; keep it secret), %s\n", role, k, r.PublicKey[role])
				} else {
					fmt.Fprintf(out, "  %-12s %s (the key they already hold)\n", role, r.PublicKey[role])
				}
			}
			if o.BuilderID == "" {
				fmt.Fprintln(out, "provenance is not required: run init with --builder-id and --source, or add \"provenance\" to the data")
			}
			fmt.Fprintln(out, "next:")
			key := func(role string) string {
				if k, ok := r.PrivateKey[role]; ok {
					return k
				}
				return role + ".key"
			}
			approver := "qa"
			if !slices.Contains(roleList(o.Roles), approver) {
				approver = roleList(o.Roles)[len(roleList(o.Roles))-1]
			}
			fmt.Fprintf(out, "  gate attest IMAGE --key %s --report unit.json --stage unit     # each pipeline stage's report\n", key(scaffold.PipelineRole))
			fmt.Fprintf(out, "  gate approve IMAGE --key %s --role %s --decision go --reason \"…\"   # each stakeholder\n", key(approver), approver)
			fmt.Fprintf(out, "  gate verify IMAGE --config %s\n", filepath.Clean(r.Config))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Roles, "role", nil, "a role to make (repeatable; default "+strings.Join(scaffold.DefaultRoles, ", ")+"); ci signs the pipeline's evidence, the others approvals")
	f.StringArrayVar(&pubs, "pub", nil, "ROLE=FILE: a public key someone already holds, instead of a new key pair (repeatable)")
	f.StringVar(&o.BuilderID, "builder-id", "", "your CI's builder id, which provenance must name (with --source)")
	f.StringVar(&o.Source, "source", "", "your source repository, which provenance must name, e.g. git+https://github.com/ORG/REPO")
	f.Float64Var(&o.MinCoverage, "min-coverage", 80, "lowest coverage percent production allows")
	return cmd
}

func roleList(roles []string) []string {
	if len(roles) == 0 {
		return scaffold.DefaultRoles
	}
	return roles
}
