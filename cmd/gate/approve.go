package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newApprove() *cobra.Command {
	var (
		reg      registryFlags
		key      string
		a        gate.Approval
		decision string
	)
	cmd := &cobra.Command{
		Use:   "approve IMAGE --role ROLE --decision go|nogo --reason TEXT --key KEY",
		Short: "Sign a stakeholder's GO or NOGO for an image",
		Example: `  gate approve reg.example/app:1.4 --key qa.key --role qa --decision go --reason "regression suite green" --expires 72h
  gate approve reg.example/app:1.4 --key sre.key --role sre --decision nogo --reason "no runbook for the new queue"
  gate approve reg.example/app:1.4 --key sre.key --role sre --decision go --reason "accepted" --waive CVE-2019-1549`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.Decision = strings.ToUpper(decision)
			if err := a.Check(); err != nil {
				return err
			}
			signer, err := sign.LoadKeyFromEnv(key)
			if err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			res, err := gate.Approve(ctx, c, signer, args[0], a, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s from %s on %s\n  stored as referrer %s\n", a.Decision, a.Role, res.Digest, res.Referrer)
			return nil
		},
	}
	reg.register(cmd)
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "cosign private key file (password from $"+sign.PasswordEnv+")")
	f.StringVar(&a.Role, "role", "", "the role this decision is given in; the key must hold it")
	f.StringVar(&decision, "decision", "", "go or nogo")
	f.StringVar(&a.Reason, "reason", "", "why, in words the release team will read")
	f.DurationVar(&a.Expires, "expires", 0, "the decision stops counting after this long (e.g. 72h)")
	f.StringSliceVar(&a.Waivers, "waive", nil, "vulnerability ids this GO accepts (repeatable)")
	for _, r := range []string{"key", "role", "decision", "reason"} {
		_ = cmd.MarkFlagRequired(r)
	}
	return cmd
}
