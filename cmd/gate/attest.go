package main

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newAttest() *cobra.Command {
	var (
		reg               registryFlags
		key, file, format string
		stage             string
		provenance        bool
		build             attestations.Build
		started, finished string
		predicateFile     string
		predicateType     string
	)
	cmd := &cobra.Command{
		Use:   "attest IMAGE (--report FILE | --provenance ...) --key KEY",
		Short: "Sign a pipeline stage's evidence about an image and store it beside the image",
		Long: `attest reads a report a pipeline stage's tool wrote, signs what it says about
the image's digest, and stores it beside the image as an OCI referrer; or, with
--provenance, the build's SLSA provenance from the flags.

Report formats (detected from the content, or given with --format):
` + formatHelp(),
		Example: `  gate attest "$IMAGE" --key ci.key --report unit.xml --stage unit
  gate attest "$IMAGE" --key ci.key --report trivy.json
  gate attest "$IMAGE" --key ci.key --report cover.out
  gate attest "$IMAGE" --key ci.key --provenance \
      --builder-id https://github.com/actions/runner --build-type https://github.com/acme/build@v1 \
      --source git+https://github.com/acme/app --commit 6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e \
      --started 2026-11-22T10:00:00Z --finished 2026-11-22T10:05:00Z   # --commit: the full SHA (git rev-parse HEAD)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := count(file != "", provenance, predicateFile != ""); n != 1 {
				return errors.New("give exactly one of --report FILE, --provenance and --predicate FILE --type URI")
			}
			if (predicateFile == "") != (predicateType == "") {
				return errors.New("--predicate FILE and --type URI go together")
			}
			// Everything that can be wrong with the input is found before anything is signed.
			var predicate any
			var summary string
			if format != "" && !knownFormat(format) {
				return fmt.Errorf("--format %q: not a format gate reads; want one of %s", format, formatNames())
			}
			switch {
			case predicateFile != "":
				t, err := anyPredicateType(predicateType)
				if err != nil {
					return err
				}
				p, err := report.ReadPredicate(predicateFile)
				if err != nil {
					return err
				}
				predicateType, predicate, summary = t, p, "predicate "+predicateFile
			case provenance:
				if err := checkCommit(build.Commit); err != nil {
					return err
				}
				var err error
				if build.Started, err = parseTime("--started", started); err != nil {
					return err
				}
				if build.Finished, err = parseTime("--finished", finished); err != nil {
					return err
				}
				p, err := attestations.Provenance(build)
				if err != nil {
					return err
				}
				predicateType, predicate, summary = attestations.ProvenanceType, p, "provenance from "+build.BuilderID
			default:
				r, err := gate.ReadReport(file, report.Options{Format: report.Format(format), Stage: stage})
				if errors.Is(err, report.ErrUnknownFormat) && format == "" {
					return fmt.Errorf("%w; if it is one of %s, say which with --format", err, formatNames())
				}
				if err != nil {
					return err
				}
				if r.PredicateType == attestations.TestResultType && stage == "" {
					return fmt.Errorf("%s is a test report: say which stage it is with --stage (unit, integration, …)", file)
				}
				if err := gate.Stamp(r.Predicate, time.Now(), build.Commit); err != nil {
					return err
				}
				predicateType, predicate, summary = r.PredicateType, r.Predicate, fmt.Sprintf("%s report %s", r.Format, file)
			}
			signer, err := sign.LoadKeyFromEnv(key)
			if err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			a, err := gate.Attest(ctx, c, signer, args[0], predicateType, predicate)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "attested %s on %s\n  %s\n  stored as referrer %s\n", summary, a.Digest, a.PredicateType, a.Referrer)
			return nil
		},
	}
	reg.register(cmd)
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "cosign private key file (password from $"+sign.PasswordEnv+")")
	f.StringVar(&file, "report", "", "a tool's report: go test -json, JUnit XML, Trivy/Grype JSON, SARIF, Go cover profile, LCOV, Cobertura, SPDX/CycloneDX JSON (syft), vegeta JSON")
	f.StringVar(&format, "format", "", "the report's format, when detecting it from the content is not wanted: "+formatNames())
	f.StringVar(&stage, "stage", "", "the pipeline stage a test report is from (unit, integration, …)")
	f.StringVar(&predicateFile, "predicate", "", "any in-toto predicate, a JSON object, signed as it is (with --type)")
	f.StringVar(&predicateType, "type", "", "the predicate type of --predicate: a URI, or a kind such as spdx")
	f.BoolVar(&provenance, "provenance", false, "attest SLSA provenance v1 of the build, from the flags below")
	f.StringVar(&build.BuilderID, "builder-id", "", "provenance: the builder's id")
	f.StringVar(&build.BuildType, "build-type", "", "provenance: the build type URI")
	f.StringVar(&build.Source, "source", "", "provenance: the source repository URI")
	f.StringVar(&build.Commit, "commit", "", "the source commit, in full (40 or 64 hex digits: git rev-parse HEAD); recorded in provenance, test results and coverage")
	f.StringVar(&build.InvocationID, "invocation", "", "provenance: the build run's id or URL")
	f.StringVar(&started, "started", "", "provenance: when the build started (RFC 3339)")
	f.StringVar(&finished, "finished", "", "provenance: when the build finished (RFC 3339)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

// anyPredicateType is the predicate type --type names: a kind gate knows,
// or any URI, as cosign takes.
func anyPredicateType(kindOrType string) (string, error) {
	if t, ok := attestations.ResolveType(kindOrType); ok {
		return t, nil
	}
	if u, err := url.Parse(kindOrType); err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("--type %q: want a predicate type URI such as https://example.com/checklist/v1, or a kind (%s)",
			kindOrType, strings.Join(slices.Sorted(maps.Keys(attestations.Kinds)), ", "))
	}
	return kindOrType, nil
}

func count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}

func parseTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-11-22T10:00:00Z", flag, v)
	}
	return t, nil
}
