package chart

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"
)

// imageConcurrency bounds the images decided at once: enough to hide a
// registry's latency, few enough that a chart of many images does not look
// like an attack to the registry (each decision fetches in parallel too).
const imageConcurrency = 4

// Decision is the answer to "is this release of this module blessed
// here?": the chart's own decision and each rendered image's. It is
// allowed only when the chart is blessed and so is every image.
type Decision struct {
	Allowed     bool           `json:"allowed"`
	Environment string         `json:"environment"`
	Chart       *gate.Decision `json:"chart"`
	Images      []Image        `json:"images"`
}

// Image is one image the chart runs, and its decision or why there is none.
type Image struct {
	Use
	// ByTag says the chart names the image by a tag, which gate resolved
	// to Decision.Digest: a tag moved later names another image.
	ByTag    bool           `json:"byTag"`
	Decision *gate.Decision `json:"decision,omitempty"`
	Error    string         `json:"error,omitempty"`
	Err      error          `json:"-"`
}

// Undecided says whether some image could not be decided: the whole
// answer is then "could not decide", never blessed.
func (d *Decision) Undecided() bool {
	for _, im := range d.Images {
		if im.Err != nil {
			return true
		}
	}
	return false
}

// Judge revises a decision after the policy's, as a freeze does.
type Judge func(context.Context, *gate.Decision) (*gate.Decision, error)

// Verifier decides charts with their images, reading registries through
// one client and trusting as one config says.
type Verifier struct {
	client *oci.Client
	cfg    *config.Config
}

// NewVerifier returns a Verifier reading registries through c and trusting as cfg says.
func NewVerifier(c *oci.Client, cfg *config.Config) *Verifier {
	return &Verifier{client: c, cfg: cfg}
}

// Options say how a chart is decided. The zero value decides in the
// config's default environment, now, with the chart's default values.
type Options struct {
	Environment string
	Values      Values
	Now         time.Time // zero: time.Now()
	Judge       Judge     // nil: the policy's decisions stand
}

// Verify decides the chart ref names (oci://REGISTRY/REPOSITORY:VERSION,
// or by digest) together with every image it renders. The chart is
// decided on its own evidence as an image is; then its archive is read,
// rendered offline, and each image of its workloads decided in the same
// environment. An error means nothing could be decided: the registry
// failed for the chart, the manifest is no chart (oci.ErrNotChart), or the
// chart does not render (ErrRender). An image that cannot be decided is
// kept in the answer with its error (Decision.Undecided).
func (v *Verifier) Verify(ctx context.Context, ref string, o Options) (*Decision, error) {
	c, cfg, now, judge := v.client, v.cfg, o.Now, o.Judge
	if now.IsZero() {
		now = time.Now()
	}
	if judge == nil {
		judge = func(_ context.Context, d *gate.Decision) (*gate.Decision, error) { return d, nil }
	}
	cd, err := gate.Verify(ctx, c, cfg, o.Environment, ref, now)
	if err != nil {
		return nil, err
	}
	if cd, err = judge(ctx, cd); err != nil {
		return nil, err
	}
	r, err := c.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	archive, err := c.ChartArchive(ctx, r.Context().Digest(cd.Digest))
	if err != nil {
		return nil, err
	}
	rendered, err := Render(ctx, archive, o.Values)
	if err != nil {
		return nil, err
	}
	uses, err := Images(rendered)
	if err != nil {
		return nil, err
	}
	out := &Decision{Environment: cd.Environment, Chart: cd, Images: make([]Image, len(uses))}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(imageConcurrency)
	for i, u := range uses {
		out.Images[i] = Image{Use: u}
		g.Go(func() error {
			im := &out.Images[i]
			if r, err := c.ParseReference(u.Image); err == nil {
				_, byDigest := r.(name.Digest)
				im.ByTag = !byDigest
			}
			d, err := gate.Verify(gctx, c, cfg, cd.Environment, u.Image, now)
			if err == nil {
				d, err = judge(gctx, d)
			}
			if err != nil {
				im.Err, im.Error = err, fmt.Sprintf("could not decide %s: %v", u.Image, err)
				return nil
			}
			im.Decision = d
			return nil
		})
	}
	_ = g.Wait() // each image keeps its own error
	out.Allowed = cd.Allowed
	for _, im := range out.Images {
		out.Allowed = out.Allowed && im.Decision != nil && im.Decision.Allowed
	}
	return out, nil
}
