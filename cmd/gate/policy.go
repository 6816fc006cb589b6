package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/record"
	"github.com/spf13/cobra"
)

func newPolicy() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Work on Rego policies: test, lint, format, diff their decisions against a git revision or a bundle, and push signed bundles"}
	var verbose bool
	test := &cobra.Command{
		Use:   "test [DIR|FILE]...",
		Short: "Run the Rego unit tests (*_test.rego) of policies, as opa test does; exit 1 when one fails, 2 when they cannot run",
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
	cmd.AddCommand(test, newPolicyLint(), newPolicyDiff(), newPolicyFmt(), newPolicyPush())
	return cmd
}

// errTestsFailed exits 1: the answer (do the tests pass?) is no.
var errTestsFailed = fmt.Errorf("policy tests failed: %w", errNotBlessed)

// errProblems and errFlipped exit 1: the answer is no, as for an image not
// blessed; the report was written already.
var (
	errProblems = fmt.Errorf("policy lint found problems: %w", errNotBlessed)
	errFlipped  = fmt.Errorf("a decision flips: %w", errNotBlessed)
)

func newPolicyLint() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check a policy: strict compile, format (gate policy fmt), data against data/schema.json, fails closed; exit 1 on a problem",
		Long: `lint checks the policy in DIR (default policies):
  - every .rego file, tests too, parses as Rego v1 and is formatted as gate policy fmt
    (OPA's formatter) formats it;
  - policy and tests compile in OPA's strict mode with the builtins gate allows;
  - every params file DIR/data/*.json matches the JSON schema DIR/data/schema.json;
  - the policy fails closed: with each params file, and with none, an empty input and an
    input with no evidence are not blessed.
Each problem names the file and line. Exit 0 clean, 1 problems, 2 lint could not run.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			dir := "policies"
			if len(args) == 1 {
				dir = args[0]
			}
			problems, err := policy.Lint(cmd.Context(), dir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				if problems == nil {
					problems = []policy.Problem{}
				}
				err = writeJSON(out, map[string]any{"dir": dir, "problems": problems})
			} else {
				for _, p := range problems {
					fmt.Fprintln(out, p)
				}
				if len(problems) == 0 {
					fmt.Fprintf(out, "%s: no problems\n", dir)
				}
			}
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "gate: %d problems in %s\n", len(problems), dir)
				return errProblems
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

// diffFlags are the flags of gate policy diff.
type diffFlags struct {
	reg          registryFlags
	base, head   string
	records      string
	dir, data    string
	cfgPath, env string
	output       string
	failOnFlip   bool
}

func newPolicyDiff() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff --base REV [--head REV] (--records FILE | IMAGE...)",
		Short: "Show which decisions a policy change flips: the policy at a git revision (or a policy bundle) against the working tree (or another)",
		Long: `diff evaluates the policy as it is at the git revision --base and as it is in the
working tree (or at --head) over the same inputs, and prints the decisions that change,
with both sides' reasons, as Markdown for a pull-request comment (or JSON).

Either side may be a signed policy bundle, oci://REG/REPO@sha256:… or oci://REG/REPO:TAG
(gate policy push), which decides every environment with its own data. A bundle is
used only once its signature verifies under the trust config (--config).

The inputs are recorded decisions (--records, written by gate verify --record; of the
records about one digest in one environment, the last counts, passing over decisions the
webhook took from a VSA, whose input is the VSA, not its evidence), or images verified now
(IMAGE..., with the trust config): their evidence is gathered once, for the predicate
types either revision reads, and decided on under both.

Each input is decided by the policy of its environment: with --config, the policy and
data the config names for it; else the policy in --policy and the params in --data,
or in --policy/data/ENV.json. Exit 0, or 1 with --fail-on-flip when a decision flips
between blessed and not blessed; 2 when either revision cannot be loaded (a policy
that does not compile is named by revision, file and line).`,
		Example: `  gate policy diff --base origin/main --records records.jsonl
  gate policy diff --base origin/main --records records.jsonl --output json --fail-on-flip
  gate policy diff --base v1.3.0 --config gate.yaml --env production reg.example/app:1.4 reg.example/app:1.3
  gate policy diff --base oci://reg.example/gate/policy@sha256:… --head oci://reg.example/gate/policy:production --config gate.yaml --records records.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyDiff(cmd, &f, args) },
	}
	f.reg.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.base, "base", "", "the git revision to compare the working tree with (a commit, branch or tag), or a policy bundle oci://REG/REPO@sha256:…")
	fl.StringVar(&f.head, "head", "", "the other side, a git revision or a policy bundle oci://… (default: the working tree)")
	fl.StringVar(&f.records, "records", "", "decision records (JSON lines) whose inputs to decide on")
	fl.StringVar(&f.dir, "policy", "policies", "the policy directory")
	fl.StringVar(&f.data, "data", "", "params file for every input (default: POLICY/data/ENV.json)")
	fl.StringVar(&f.cfgPath, "config", os.Getenv(configEnv), "trust config: each environment's policy and data, and, for IMAGE, who may sign what (or $"+configEnv+")")
	fl.StringVar(&f.env, "env", "", "only records of this environment; for IMAGE, the environment to verify in (default: the config's)")
	fl.StringVarP(&f.output, "output", "o", "markdown", "markdown or json")
	fl.BoolVar(&f.failOnFlip, "fail-on-flip", false, "exit 1 when a decision flips between blessed and not blessed")
	_ = cmd.MarkFlagRequired("base")
	return cmd
}

func runPolicyDiff(cmd *cobra.Command, f *diffFlags, images []string) error {
	switch {
	case f.output != "markdown" && f.output != "json":
		return fmt.Errorf("--output %q: want markdown or json", f.output)
	case (f.records == "") == (len(images) == 0):
		return errors.New("give the inputs as either --records FILE or IMAGE arguments")
	case f.cfgPath != "" && (cmd.Flags().Changed("policy") || f.data != ""):
		return errors.New("give either --config or --policy/--data: the config names each environment's policy and data")
	case len(images) > 0 && f.cfgPath == "":
		return errors.New("verifying images needs the trust config: --config gate.yaml")
	}
	layout := policy.DirLayout(f.dir, f.data)
	if f.cfgPath != "" {
		var err error
		if layout, err = configLayout(f.cfgPath); err != nil {
			return err
		}
	}
	base, err := bundleSide(cmd.Context(), &f.reg, f.cfgPath, f.env, f.base)
	if err != nil {
		return err
	}
	head := policy.Revision{Name: "working tree"}
	if f.head != "" {
		if head, err = bundleSide(cmd.Context(), &f.reg, f.cfgPath, f.env, f.head); err != nil {
			return err
		}
	}
	for _, s := range []policy.Revision{base, head} {
		if s.Snapshot != nil {
			defer s.Snapshot.Close()
		}
	}
	cmp := policy.NewComparison(layout, base, head)

	var cases []policy.Case
	if f.records != "" {
		entries, err := record.ReadFile(f.records)
		if err != nil {
			return err
		}
		for _, e := range record.Latest(entries) {
			if f.env == "" || e.Record.Environment == f.env {
				cases = append(cases, policy.Case{Source: e.Where(), Input: *e.Record.Input})
			}
		}
	} else if cases, err = verifyForDiff(cmd, f, cmp, images); err != nil {
		return err
	}
	d, err := cmp.Run(cmd.Context(), cases)
	if err != nil {
		return err
	}
	if f.output == "json" {
		err = writeJSON(cmd.OutOrStdout(), d)
	} else {
		err = d.WriteMarkdown(cmd.OutOrStdout())
	}
	if err != nil {
		return err
	}
	if f.failOnFlip && len(d.Flipped) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "gate: %d of %d decisions flip between %s and %s\n", len(d.Flipped), d.Decisions, base.Name, head.Name)
		return errFlipped
	}
	return nil
}

// verifyForDiff gathers, once per image, the verified evidence either
// revision reads.
func verifyForDiff(cmd *cobra.Command, f *diffFlags, cmp *policy.Comparison, images []string) ([]policy.Case, error) {
	c, ctx, cancel := f.reg.client(cmd.Context())
	defer cancel()
	cfg, err := loadConfig(ctx, f.cfgPath, config.OnlyEnvironment(f.env))
	if err != nil {
		return nil, err
	}
	env, err := cfg.Environment(f.env)
	if err != nil {
		return nil, err
	}
	types, err := cmp.PredicateTypes(ctx, env.Name)
	if err != nil {
		return nil, err
	}
	var cases []policy.Case
	now := time.Now()
	for _, ref := range images {
		d, err := gate.VerifyAlso(ctx, c, cfg, env.Name, ref, now, types)
		if err != nil {
			return nil, err
		}
		cases = append(cases, policy.Case{Source: ref, Input: *d.Input})
	}
	return cases, nil
}

// configLayout is each environment's policy and data as the trust config
// at path names them, read by the one loader every command uses; its keys
// and policies are not needed to decide on recorded inputs.
func configLayout(path string) (policy.Layout, error) {
	src, err := config.Read(path)
	if err != nil {
		return nil, err
	}
	return src.Policy, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
