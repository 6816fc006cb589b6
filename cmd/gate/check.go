package main

import (
	"fmt"

	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/internal/check"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/spf13/cobra"
)

// errRefused is gate check's "no": some image would be refused.
var errRefused = fmt.Errorf("%w: the admission webhook would refuse what is marked REFUSED", errNotBlessed)

func newCheck() *cobra.Command {
	var (
		reg                   registryFlags
		file, cfgPath, whPath string
		output, defaultNS     string
		guarded               []string
	)
	cmd := &cobra.Command{
		Use:   "check -f FILE|DIR|-",
		Short: "Decide Kubernetes manifests offline as the admission webhook would: exit 0 admitted, 1 refused, 2 could not decide",
		Long: `check reads Kubernetes manifests (multi-document YAML, helm template or
kustomize build output, List kinds; a directory's .yaml, .yml and .json files; or
standard input), finds every image of every workload as the webhook does, and
decides each in the environment its namespace maps to in the webhook config.
Offline no cluster says which namespaces opt in: those the webhook config lists,
those whose Namespace object in the manifests carries the opt-in label, and those
given with --guarded are taken as guarded; kube-system never is.`,
		Example: `  gate check -f deploy/ --config gate.yaml --webhook-config webhook.yaml
  helm template shop charts/shop | gate check -f - --guarded shop
  kustomize build overlays/production | gate check -f - --output github`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" && output != "github" {
				return fmt.Errorf("--output %q: want text, json or github", output)
			}
			objs, err := check.ReadPath(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			wh, err := workload.LoadConfig(whPath)
			if err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			cfg, err := loadConfig(ctx, cfgPath)
			if err != nil {
				return err
			}
			if err := wh.CheckAgainst(cfg); err != nil {
				return err
			}
			// A freeze is honoured as the webhook honours it: new digests refused, rollbacks noted.
			opts, err := freezeOption(c, cfg)
			if err != nil {
				return err
			}
			checker, err := admit.NewChecker(cfg, opts...)
			if err != nil {
				return err
			}
			fs, err := check.Decide(ctx, objs, check.Options{Webhook: wh, Checker: checker, Registry: admit.Client(c), Namespace: defaultNS, Guarded: guarded})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch output {
			case "json":
				err = check.WriteJSON(out, fs)
			case "github":
				err = check.WriteGitHub(out, fs)
			default:
				err = check.WriteText(out, fs)
			}
			if err != nil {
				return err
			}
			switch check.Answer(fs) {
			case 2:
				return fmt.Errorf("some images could not be verified, and the webhook refuses those: see the lines marked could not decide")
			case 1:
				return errRefused
			}
			return nil
		},
	}
	reg.register(cmd)
	configFlag(cmd, &cfgPath)
	f := cmd.Flags()
	f.StringVarP(&file, "filename", "f", "", "manifest file, directory, or - for standard input")
	f.StringVar(&whPath, "webhook-config", "", "the webhook config (webhook.yaml): namespaces, environments, modes (default: the defaults)")
	f.StringVarP(&output, "output", "o", "text", "text, json, or github (annotations on the manifest's lines in a pull request)")
	f.StringVarP(&defaultNS, "namespace", "n", "default", "namespace of objects that name none")
	f.StringSliceVar(&guarded, "guarded", nil, "namespaces to take as opted in (repeatable)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}
