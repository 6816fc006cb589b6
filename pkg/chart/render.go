package chart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"
)

// maxValuesFileSize bounds one values file: values run to kilobytes.
const maxValuesFileSize = 4 << 20

// ErrRender means the chart could not be rendered with the values given:
// gate cannot say which images it would run, so it cannot decide.
var ErrRender = errors.New("rendering the chart (run helm template with the same chart and values to see it fail the same way)")

// Values are what `helm template` is given besides the chart: values files
// and --set assignments, applied in that order as Helm applies them.
type Values struct {
	Files []string // YAML files, later ones over earlier ones
	Set   []string // key=value assignments, over the files (helm's --set syntax)
	// Release and Namespace are the release's name and namespace the
	// templates see; "" is helm template's default.
	Release   string
	Namespace string
}

// read returns the values the chart is rendered with, over its own defaults.
func (v Values) read() (map[string]any, error) {
	out := map[string]any{}
	for _, f := range v.Files {
		b, err := readBounded(f)
		if err != nil {
			return nil, err
		}
		vals, err := chartutil.ReadValues(b)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", f, err)
		}
		out = merge(out, vals)
	}
	for _, s := range v.Set {
		if err := strvals.ParseInto(s, out); err != nil {
			return nil, fmt.Errorf("--set %s: %w", s, err)
		}
	}
	return out, nil
}

func readBounded(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading values file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxValuesFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading values file %s: %w", file, err)
	}
	if len(b) > maxValuesFileSize {
		return nil, fmt.Errorf("values file %s is larger than %d bytes", file, maxValuesFileSize)
	}
	return b, nil
}

// merge is b over a, tables merged key by key, as helm merges values files.
func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bt, ok := v.(map[string]any); ok {
			if at, ok := out[k].(map[string]any); ok {
				out[k] = merge(at, bt)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// Rendered is one manifest file a chart's templates render.
type Rendered struct {
	Template string // e.g. shop/templates/deployment.yaml
	Content  string
}

// Render renders the chart archive as `helm template` does, offline: no
// cluster is asked (lookup finds nothing) and the capabilities are Helm's
// defaults. Every error is ErrRender's, saying what failed. Rendering runs
// templates the chart's author wrote, which can loop: ctx bounds the wait.
func Render(ctx context.Context, archive []byte, v Values) ([]Rendered, error) {
	type result struct {
		out []Rendered
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := render(archive, v)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrRender, ctx.Err())
	}
}

func render(archive []byte, v Values) ([]Rendered, error) {
	vals, err := v.read()
	if err != nil {
		return nil, err
	}
	ch, err := loader.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("%w: loading the chart archive: %w", ErrRender, err)
	}
	if ch.Metadata.Type == "library" {
		return nil, fmt.Errorf("%w: %s is a library chart, which Helm does not install", ErrRender, ch.Name())
	}
	if err := dependenciesPresent(ch); err != nil {
		return nil, err
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRender, err)
	}
	opts := chartutil.ReleaseOptions{Name: v.Release, Namespace: v.Namespace, Revision: 1, IsInstall: true}
	if opts.Name == "" {
		opts.Name = "release-name"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	top, err := chartutil.ToRenderValues(ch, vals, opts, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRender, err)
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRender, err)
	}
	var out []Rendered
	for name, content := range files {
		// NOTES.txt is text for a person, and partials (_helpers.tpl) render to nothing.
		if strings.HasSuffix(name, "NOTES.txt") || strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		out = append(out, Rendered{Template: name, Content: content})
	}
	return out, nil
}

// dependenciesPresent refuses a chart whose Chart.yaml lists a dependency
// its archive lacks, as helm install does: its images would go unseen.
func dependenciesPresent(ch *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			return fmt.Errorf("%w: %s lists the dependency %s, which its archive lacks (run helm dependency build before helm package)", ErrRender, ch.Name(), d.Name)
		}
	}
	return nil
}
