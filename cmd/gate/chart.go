package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/chart"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/record"
	"github.com/spf13/cobra"
)

// chartFlags are gate verify's flags for a Helm chart decided with its images.
type chartFlags struct {
	images             bool
	values, set        []string
	release, namespace string
}

func (f *chartFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.images, "images", false, "for a Helm chart (oci://…): render it with helm template (helm on PATH, or $GATE_HELM) and bless it only if every image it runs is blessed too")
	cmd.Flags().StringArrayVarP(&f.values, "values", "f", nil, "with --images: a values file to render the chart with, repeatable (as helm template's)")
	cmd.Flags().StringArrayVar(&f.set, "set", nil, "with --images: a value to render the chart with, key=value, repeatable (as helm template's)")
	cmd.Flags().StringVar(&f.release, "release-name", "", "with --images: the release name the templates see (default: helm template's, release-name)")
	cmd.Flags().StringVar(&f.namespace, "release-namespace", "", "with --images: the namespace the templates see (default: default)")
}

// check refuses chart flags that would do nothing, and a VSA of a release:
// gate signs summaries of one subject's decision.
func (f *chartFlags) check(vsa *vsaFlags) error {
	if f.images {
		if vsa.attest || vsa.out != "" {
			return errors.New("--attest-vsa and --vsa-out sign one subject's decision, not a chart's with its images: run gate verify CHART without --images for the chart's VSA")
		}
		return nil
	}
	if len(f.values)+len(f.set) > 0 || f.release != "" || f.namespace != "" {
		return errors.New("--values, --set, --release-name and --release-namespace render a chart: add --images to decide the chart with the images it renders")
	}
	return nil
}

// verify decides the chart ref names with every image it renders, writes the
// answer, and returns what the exit code says: nil blessed, errNotBlessed, or
// an error when the chart or some image could not be decided.
func (f *chartFlags) verify(ctx context.Context, cmd *cobra.Command, c *oci.Client, cfg *config.Config, env, ref, output, records string) error {
	// The chart and every image are judged against one read of the freeze, as gate check does.
	guard, err := freeze.NewGuard(c, cfg, checkRunTTL, nil)
	if err != nil {
		return err
	}
	d, err := chart.NewVerifier(c, cfg).Verify(ctx, ref, chart.Options{
		Environment: env, Now: time.Now(), Judge: guard.Judge,
		Values: chart.Values{Files: f.values, Set: f.set, Release: f.release, Namespace: f.namespace},
	})
	if errors.Is(err, oci.ErrNotChart) {
		return fmt.Errorf("%s: %w: --images is for charts; verify an image without it", ref, err)
	}
	if err != nil {
		return err
	}
	if records != "" {
		all := []*gate.Decision{d.Chart}
		for _, im := range d.Images {
			if im.Decision != nil {
				all = append(all, im.Decision)
			}
		}
		for _, dec := range all {
			if err := record.Append(records, record.Of(dec, "verify")); err != nil {
				return err
			}
		}
	}
	out := cmd.OutOrStdout()
	if output == "json" {
		err = writeJSON(out, d)
	} else {
		err = chart.WriteText(out, d)
	}
	switch {
	case err != nil:
		return err
	case d.Undecided():
		return fmt.Errorf("could not decide every image %s runs (listed above): nothing is blessed until each can be; retry, or check the registry of each", ref)
	case !d.Allowed:
		return errNotBlessed
	}
	return nil
}
