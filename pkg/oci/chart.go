package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Helm's media types for a chart pushed by `helm push`: an OCI image
// manifest whose config and one layer say it is a chart.
const (
	ChartConfigMediaType  types.MediaType = "application/vnd.cncf.helm.config.v1+json"
	ChartContentMediaType types.MediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// ChartScheme is how Helm names a chart in an OCI registry
// (oci://REGISTRY/REPOSITORY:VERSION). gate takes such a name wherever it
// takes an image: the scheme is dropped and the rest is an image reference,
// so a chart's evidence attaches to its manifest digest as an image's does.
const ChartScheme = "oci://"

// MaxChartSize bounds the chart archive gate reads (compressed). Charts run
// to kilobytes, large ones with vendored subcharts to a few megabytes; the
// bound leaves room for those while a junk layer costs at most this much.
// Helm bounds the archive's decompressed size itself (100 MiB).
const MaxChartSize = 16 << 20

// ErrNotChart means the manifest a reference names is not a Helm chart.
var ErrNotChart = errors.New("not a Helm chart (want an OCI manifest whose config is " + string(ChartConfigMediaType) + ", as helm push writes)")

// trimChartScheme returns ref without Helm's oci:// scheme.
func trimChartScheme(ref string) string { return strings.TrimPrefix(ref, ChartScheme) }

// ChartArchive returns the chart archive (a .tgz, as helm package writes it)
// of the chart manifest d names. The manifest must carry Helm's config type
// and exactly one chart layer of at most MaxChartSize bytes; the layer is
// read no further than its declared size and checked against its digest.
func (c *Client) ChartArchive(ctx context.Context, d name.Digest) ([]byte, error) {
	desc, err := remote.Get(d, c.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching the manifest of %s: %w", d, classify(err))
	}
	if desc.MediaType.IsIndex() {
		return nil, fmt.Errorf("%s is an image index: %w", d, ErrNotChart)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s: %w", d, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s: %w", d, err)
	}
	if m.Config.MediaType != ChartConfigMediaType {
		return nil, fmt.Errorf("%s has a config of type %q: %w", d, m.Config.MediaType, ErrNotChart)
	}
	var layers []int
	for i, l := range m.Layers {
		if l.MediaType == ChartContentMediaType {
			layers = append(layers, i)
		}
	}
	if len(layers) != 1 {
		return nil, fmt.Errorf("%s has %d layers of type %s, want one: %w", d, len(layers), ChartContentMediaType, ErrNotChart)
	}
	l := m.Layers[layers[0]]
	if l.Size < 0 || l.Size > MaxChartSize {
		return nil, fmt.Errorf("the chart archive of %s is declared as %d bytes, over gate's limit of %d", d, l.Size, MaxChartSize)
	}
	layer, err := remote.Layer(d.Context().Digest(l.Digest.String()), c.remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching the chart archive of %s: %w", d, classify(err))
	}
	rc, err := layer.Compressed() // checks the digest as it is read to the end
	if err != nil {
		return nil, fmt.Errorf("fetching the chart archive of %s: %w", d, classify(err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, l.Size+1))
	if err != nil {
		return nil, fmt.Errorf("reading the chart archive of %s: %w", d, classify(err))
	}
	if int64(len(b)) != l.Size {
		return nil, fmt.Errorf("the chart archive of %s is not the %d bytes its manifest declares", d, l.Size)
	}
	return b, nil
}
