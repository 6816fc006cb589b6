package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newApprove() *cobra.Command {
	var (
		reg      registryFlags
		key      string
		cfgPath  string
		a        gate.Approval
		decision string
		checks   []string
	)
	cmd := &cobra.Command{
		Use:   "approve IMAGE --role ROLE --decision go|nogo --reason TEXT --key KEY",
		Short: "Sign a stakeholder's GO or NOGO for an image",
		Long: `approve signs a stakeholder's GO or NOGO about the image's digest and stores it
beside the image. With the trust config at hand (--config, $GATE_CONFIG, or
gate.yaml here) it refuses a key that does not hold --role, whose approval
would never count; without one it warns that it could not check.`,
		Example: `  gate approve reg.example/app:1.4 --key qa.key --role qa --decision go --reason "regression suite green" --expires 3d
  gate approve reg.example/app:1.4 --key sre.key --role sre --decision nogo --reason "no runbook for the new queue"
  gate approve reg.example/app:1.4 --key sre.key --role sre --decision go --reason "accepted" --waive CVE-2019-1549
  gate approve reg.example/app:1.4 --key sre.key --role sre --decision go --reason "ready" \
      --check dr-plan=https://wiki.example/dr/app --check on-call=https://pager.example/teams/app
  gate approve oci://reg.example/charts/shop:1.2.3 --key sre.key --role sre --decision go --reason "values reviewed"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.Decision = strings.ToUpper(decision)
			for _, c := range checks {
				item, err := gate.ParseCheck(c)
				if err != nil {
					return err
				}
				a.Checklist = append(a.Checklist, item)
			}
			if err := a.Check(); err != nil {
				return err
			}
			signer, err := sign.LoadKeyFromEnv(key)
			if err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			if err := checkRole(cmd, cfgPath, key, signer, a.Role); err != nil {
				return err
			}
			res, err := gate.Approve(ctx, c, signer, args[0], a, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s from %s on %s\n  stored as referrer %s\n", a.Decision, a.Role, res.Digest, res.Referrer)
			if !strings.Contains(args[0], "@") {
				fmt.Fprintf(cmd.ErrOrStderr(), "gate: warning: %s is a tag; this %s is for the digest it named just now, %s, and not for whatever the tag names later: approve IMAGE@DIGEST to be sure what you approve\n", args[0], a.Decision, res.Digest.DigestStr())
			}
			return nil
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "cosign private key file (password from $"+sign.PasswordEnv+")")
	f.StringVar(&a.Role, "role", "", "the role this decision is given in; the key must hold it")
	f.StringVar(&decision, "decision", "", "go or nogo")
	f.StringVar(&a.Reason, "reason", "", "why, in words the release team will read")
	f.Var(days{&a.Expires}, "expires", "the decision stops counting after this long (e.g. 3d, 72h)")
	f.StringSliceVar(&a.Waivers, "waive", nil, "vulnerability ids this GO accepts (repeatable)")
	f.StringArrayVar(&checks, "check", nil, "a checklist item ticked, as ITEM=https://link-showing-it-done (repeatable)")
	for _, r := range []string{"key", "role", "decision", "reason"} {
		_ = cmd.MarkFlagRequired(r)
	}
	return cmd
}

// checkRole refuses a key the trust config gives no role, or another role
// than the one claimed: such an approval is stored and never counts.
func checkRole(cmd *cobra.Command, cfgPath, keyFile string, s *sign.Signer, role string) error {
	given := cmd.Flags().Changed("config") || os.Getenv(configEnv) != ""
	if _, err := os.Stat(cfgPath); !given && errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(cmd.ErrOrStderr(), "gate: warning: no trust config at hand (--config or $%s), so not checking that %s holds the role %s\n", configEnv, keyFile, role)
		return nil
	}
	cfg, err := loadConfig(cmd.Context(), cfgPath, config.TrustOnly())
	if err != nil {
		return err
	}
	pub, err := s.PublicKey()
	if err != nil {
		return err
	}
	held, file, ok := cfg.KeyRole(pub)
	switch {
	case !ok:
		return fmt.Errorf("%s holds no role in %s, so its %s would never count: add its public key to roles.%s.keys there, or sign with a key of %s", keyFile, cfgPath, role, role, role)
	case held != role:
		return fmt.Errorf("%s is %s, a key of role %s in %s, not of %s: an approval counts only in its signer's role; use --role %s, or a key of %s", keyFile, file, held, cfgPath, role, held, role)
	}
	return nil
}
