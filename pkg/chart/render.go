package chart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// maxValuesFileSize bounds one values file: values run to kilobytes.
const maxValuesFileSize = 4 << 20

// maxRendered bounds what one chart renders: manifests run to megabytes,
// not gigabytes (gate check reads a manifest file under the same bound).
const maxRendered = 64 << 20

// maxMessage bounds how much of helm's error gate repeats: helm's own
// errors are a line; a template's warnings could be pages.
const maxMessage = 2000

// ErrRender means the chart could not be rendered with the values given:
// gate cannot say which images it would run, so it cannot decide.
var ErrRender = errors.New("rendering the chart with helm template")

// Values are what `helm template` is given besides the chart: values files
// and --set assignments, applied in that order as Helm applies them.
type Values struct {
	Files []string // YAML files, later ones over earlier ones
	Set   []string // key=value assignments, over the files (helm's --set syntax)
	// Release and Namespace are the release's name and namespace the
	// templates see; "" is helm template's default.
	Release   string
	Namespace string
	// Helm is the helm program that renders: "" is $GATE_HELM, else helm
	// on PATH.
	Helm string
}

// Helm returns the helm program that renders charts: h when given, else
// $GATE_HELM, else helm on PATH.
func Helm(h string) (string, error) {
	if h == "" {
		h = os.Getenv("GATE_HELM")
	}
	if h != "" {
		return h, nil
	}
	h, err := exec.LookPath("helm")
	if err != nil {
		return "", fmt.Errorf("%w: helm is not on PATH: install Helm 3 or 4 (https://helm.sh/docs/intro/install/), or set GATE_HELM to the helm program", ErrRender)
	}
	return h, nil
}

// checkFiles refuses a values file that is missing or too large before
// helm is started, naming it.
func (v Values) checkFiles() error {
	for _, f := range v.Files {
		fi, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("reading values file: %w", err)
		}
		if fi.Size() > maxValuesFileSize {
			return fmt.Errorf("values file %s is larger than %d bytes", f, maxValuesFileSize)
		}
	}
	return nil
}

// Rendered is one manifest file a chart's templates render.
type Rendered struct {
	Template string // e.g. shop/templates/deployment.yaml
	Content  string
}

// Render renders the chart archive with `helm template`, which runs offline:
// no cluster is asked (lookup finds nothing) and the capabilities are
// Helm's defaults. The archive is the one gate verified, written to a
// temporary file, so helm renders the bytes the registry holds under the
// chart's digest. Every error is ErrRender's, with helm's own message.
// Rendering runs templates the chart's author wrote, which can loop: ctx
// bounds the wait, and the output is bounded too.
func Render(ctx context.Context, archive []byte, v Values) ([]Rendered, error) {
	helm, err := Helm(v.Helm)
	if err != nil {
		return nil, err
	}
	if err := v.checkFiles(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gate-chart-")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRender, err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "chart.tgz")
	if err := os.WriteFile(file, archive, 0o600); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRender, err)
	}
	release, namespace := v.Release, v.Namespace
	if release == "" {
		release = "release-name"
	}
	if namespace == "" {
		namespace = "default"
	}
	args := []string{"template", release, file, "--namespace", namespace}
	for _, f := range v.Files {
		args = append(args, "--values", f)
	}
	for _, s := range v.Set {
		args = append(args, "--set", s)
	}
	cmd := exec.CommandContext(ctx, helm, args...)
	cmd.WaitDelay = time.Second
	out := &boundedBuffer{max: maxRendered}
	errOut := &boundedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, errOut
	err = cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: %w", ErrRender, ctx.Err())
	case out.over:
		return nil, fmt.Errorf("%w: the chart renders more than %d MiB of manifests", ErrRender, maxRendered>>20)
	case err != nil && cmd.ProcessState == nil: // helm did not start
		return nil, fmt.Errorf("%w: running %s: %w: install Helm 3 or 4 (https://helm.sh/docs/intro/install/), or set GATE_HELM to the helm program", ErrRender, helm, err)
	case err != nil:
		msg := strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(errOut.String()), "Error: ")), " ")
		if msg == "" {
			msg = err.Error()
		}
		if len(msg) > maxMessage {
			msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
		}
		return nil, fmt.Errorf("%w: %s (from %s: run helm template with the same chart and values to see it fail the same way)", ErrRender, msg, helm)
	}
	return split(out.String()), nil
}

// split cuts helm template's output into the files it rendered: helm
// writes each document after a "# Source: CHART/templates/FILE" line. Every
// other line, the "---" between documents included, stays with the file
// named last, so no document is lost whatever a template writes.
func split(out string) []Rendered {
	var names []string
	var bodies []*strings.Builder
	at := map[string]int{}
	cur := -1
	for line := range strings.Lines(out) {
		name, isSource := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "# Source: ")
		if !isSource && cur < 0 {
			if t := strings.TrimSpace(line); t == "" || t == "---" {
				continue
			}
			name, isSource = "helm template", true // output before any source line is kept too
		}
		if isSource {
			i, seen := at[name]
			if !seen {
				i, at[name] = len(names), len(names)
				names, bodies = append(names, name), append(bodies, &strings.Builder{})
			}
			bodies[i].WriteString("---\n")
			if cur = i; strings.HasPrefix(line, "# Source: ") {
				continue
			}
		}
		bodies[cur].WriteString(line)
	}
	rendered := make([]Rendered, len(names))
	for i, name := range names {
		rendered[i] = Rendered{Template: name, Content: bodies[i].String()}
	}
	return rendered
}

// boundedBuffer keeps at most max bytes and notes that more came: a
// template that loops writes until it is stopped. It has no ReadFrom, so
// exec copies through Write, where the bound is.
type boundedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.over = true
		return 0, io.ErrShortWrite
	}
	return b.buf.Write(p)
}

func (b *boundedBuffer) String() string { return b.buf.String() }
