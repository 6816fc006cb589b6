package chart_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/chart"
	"github.com/gatehq/gate/pkg/chart/charttest"
)

// No helm, no decision: an error saying how to get one, never an empty
// list of images (a chart that runs none would be blessed on its own).
func TestRenderWithoutHelmSaysHowToGetIt(t *testing.T) {
	t.Setenv("GATE_HELM", "")
	t.Setenv("PATH", t.TempDir())
	archive := charttest.Archive(t, charttest.Chart{Name: "app", Version: "1.0.0"})
	if _, err := chart.Render(context.Background(), archive, chart.Values{}); !errors.Is(err, chart.ErrRender) || !strings.Contains(err.Error(), "GATE_HELM") {
		t.Fatalf("want chart.ErrRender naming GATE_HELM, got %v", err)
	}
	if _, err := chart.Render(context.Background(), archive, chart.Values{Helm: filepath.Join(t.TempDir(), "no-helm")}); !errors.Is(err, chart.ErrRender) || !strings.Contains(err.Error(), "GATE_HELM") {
		t.Fatalf("a GATE_HELM that names no program: want ErrRender saying to set GATE_HELM, got %v", err)
	}
	bad := filepath.Join(t.TempDir(), "helm")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho 'Error: no chart for you' >&2\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := chart.Render(context.Background(), archive, chart.Values{Helm: bad}); !errors.Is(err, chart.ErrRender) || !strings.Contains(err.Error(), "no chart for you") {
		t.Fatalf("a helm that fails: want chart.ErrRender with its message, got %v", err)
	}
	// A helm that writes nothing and succeeds renders no images: still an answer, from helm.
	empty := filepath.Join(t.TempDir(), "helm")
	if err := os.WriteFile(empty, []byte("#!/bin/sh\nexit 0\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if r, err := chart.Render(context.Background(), archive, chart.Values{Helm: empty}); err != nil || len(r) != 0 {
		t.Fatalf("want no manifests and no error, got %v %v", r, err)
	}
}

// A template that loops, or writes without end, is stopped: by the
// caller's deadline, or at the bound on what one chart renders.
func TestRenderIsBounded(t *testing.T) {
	charttest.NeedHelm(t)
	loop := charttest.Archive(t, charttest.Chart{Name: "loop", Version: "1.0.0", Files: map[string]string{
		"templates/x.yaml": "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}"}})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := chart.Render(ctx, loop, chart.Values{}); !errors.Is(err, chart.ErrRender) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a looping template: want chart.ErrRender with the deadline, got %v", err)
	}
	flood := filepath.Join(t.TempDir(), "helm")
	if err := os.WriteFile(flood, []byte("#!/bin/sh\nexec yes '# padding padding padding padding padding padding'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := chart.Render(context.Background(), loop, chart.Values{Helm: flood}); !errors.Is(err, chart.ErrRender) || !strings.Contains(err.Error(), "MiB") {
		t.Fatalf("output without end: want chart.ErrRender at the bound, got %v", err)
	}
}
