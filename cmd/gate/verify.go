package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/record"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/spf13/cobra"
)

// configEnv names the trust config when --config is not given.
const configEnv = "GATE_CONFIG"

func configFlag(cmd *cobra.Command, path *string) {
	def := os.Getenv(configEnv)
	if def == "" {
		def = "gate.yaml"
	}
	cmd.Flags().StringVar(path, "config", def, "trust config file (or $"+configEnv+")")
}

func newVerify() *cobra.Command {
	var (
		reg          registryFlags
		cfgPath, env string
		output       string
		records      string
		vsa          vsaFlags
		charts       chartFlags
	)
	cmd := &cobra.Command{
		Use:   "verify IMAGE|oci://CHART",
		Short: "Decide whether an image is blessed: exit 0 blessed, 1 not blessed, 2 could not decide",
		Long: `verify decides whether the image (or index, or any OCI artifact) IMAGE names
is blessed in an environment, on the signed evidence attached to its digest.
A Helm chart in a registry is named as helm names it, oci://REGISTRY/REPO:VERSION,
and decided on its own evidence the same way; with --images, gate also renders
it with helm template (offline; the helm on PATH or $GATE_HELM; --values and
--set passed on) and the chart is blessed only if every image its workloads
run is blessed too.`,
		Example: `  gate verify reg.example/app:1.4 --config gate.yaml --env production
  gate verify reg.example/app@sha256:… --output json
  gate verify reg.example/app@sha256:… --attest-vsa --key verifier.key --vsa-out vsa.json
  gate verify oci://reg.example/charts/shop:1.2.3 --images --values prod.yaml --env production`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			if err := charts.check(&vsa); err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			// Compiling a policy is most of a one-shot verify's CPU: only the
			// environment decided for is compiled, and while the registry is
			// read.
			cfg, err := loadConfig(ctx, cfgPath, config.OnlyEnvironment(env), config.Background(), withBundles(c))
			if err != nil {
				return err
			}
			if err := vsa.load(); err != nil {
				return err
			}
			if charts.images {
				return charts.verify(ctx, cmd, c, cfg, env, args[0], output, records)
			}
			d, err := gate.Verify(ctx, c, cfg, env, args[0], time.Now())
			if err != nil {
				return err
			}
			if d, err = judgeFreeze(ctx, c, cfg, d); err != nil {
				return err
			}
			// The release process relies on the trail: a decision that cannot be
			// recorded is not given.
			if records != "" {
				if err := record.Append(records, record.Of(d, "verify")); err != nil {
					return err
				}
			}
			if err := vsa.emit(ctx, c, d); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				err = writeJSON(out, d)
			} else {
				if err = gate.WriteText(out, d); err == nil {
					_, err = io.WriteString(out, untrustedHint(d, cfgPath))
				}
			}
			if err != nil {
				return err
			}
			if !d.Allowed {
				return errNotBlessed
			}
			return nil
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&env, "env", "", "environment whose policy applies (default: the config's defaultEnvironment)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	vsa.register(cmd)
	charts.register(cmd)
	cmd.Flags().StringVar(&records, "record", "", "append the decision to this decision records file (JSON lines; for gate policy diff); failing to is exit 2")
	return cmd
}

// untrustedHint says what to do about attestations signed by keys the trust
// config gives no role, unless their reasons already say it.
func untrustedHint(d *gate.Decision, cfgPath string) string {
	n := 0
	for _, r := range d.Rejected {
		if errors.Is(r.Err, verify.ErrUntrustedSigner) && !strings.Contains(r.Reason, "roles.") {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  next: %d rejected for a signer %s does not know: if the key is your signer's, add its public key to roles.<role>.keys there (gate init writes keys and a config that match)\n", n, cfgPath)
}
