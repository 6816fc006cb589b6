package admit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehq/gate/pkg/cache"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/record"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Defaults, and why.
const (
	// DefaultCacheSize holds the decisions of a few thousand distinct images: a large cluster
	// runs a few hundred, each decision is a few KB, so the cache stays under ~20 MB.
	DefaultCacheSize = 4096
	// DefaultBlessedTTL is how long a blessed decision is reused. Approvals expire and the
	// policy reads the clock, so a decision must not live long: an image stays admitted at most
	// this long after its last approval expired.
	DefaultBlessedTTL = 5 * time.Minute
	// DefaultDeniedTTL is short, so that an image blessed a moment ago (a GO just signed) is
	// admitted on the next try, while a crash-looping controller still cannot hammer the
	// registry with one verification per retry.
	DefaultDeniedTTL = 15 * time.Second
	// DefaultVerifyTimeout bounds one verification, which runs on after the reviews that asked
	// for it gave up, so that its answer serves the next review.
	DefaultVerifyTimeout = 8 * time.Second
)

// parsedTTL is how long a parsed digest reference, or the media type of a digest's manifest, is
// kept: neither ever changes, so only the cache's size bounds it.
const parsedTTL = 24 * time.Hour

// Checker decides images against a trust config. It is safe for concurrent use. The clients
// given to one Checker must parse references alike (all WithInsecure, or none).
type Checker struct {
	// cfg is swapped whole when a policy changes (SwapPolicy): a check reads it once.
	cfg       *atomic.Pointer[config.Config]
	size      int
	decisions *cache.Cache[decisionKey, *gate.Decision]
	resolving *cache.Cache[string, name.Digest] // merges concurrent resolutions; keeps nothing
	parsed    *cache.Cache[string, name.Digest] // digest references as written, parsed once
	// kinds holds the media type of each digest's manifest, as a tag's HEAD or a verification
	// read it: a verification told it reads no manifest to tell an index from an image.
	kinds      *cache.Cache[string, types.MediaType]
	blessedTTL time.Duration
	deniedTTL  time.Duration
	timeout    time.Duration
	now        func() time.Time
	records    *record.Writer // nil: decisions are not recorded
	freeze     Freeze         // nil: nothing is ever frozen
	log        *slog.Logger   // nil: nothing is logged

	verifications atomic.Int64
}

// Option configures a Checker.
type Option func(*Checker)

// WithCacheSize bounds how many decisions are kept.
func WithCacheSize(n int) Option { return func(c *Checker) { c.size = n } }

// WithTTL sets how long blessed and denied decisions are reused (zero: not kept).
func WithTTL(blessed, denied time.Duration) Option {
	return func(c *Checker) { c.blessedTTL, c.deniedTTL = blessed, denied }
}

// WithVerifyTimeout bounds one verification.
func WithVerifyTimeout(d time.Duration) Option { return func(c *Checker) { c.timeout = d } }

// WithRecords appends the record of every verification to w. A decision
// that cannot be recorded is not made: the image is refused with that error.
func WithRecords(w *record.Writer) Option { return func(c *Checker) { c.records = w } }

// WithClock sets the clock that policies and cache expiry read.
func WithClock(now func() time.Time) Option { return func(c *Checker) { c.now = now } }

// NewChecker returns a Checker deciding with cfg.
func NewChecker(cfg *config.Config, opts ...Option) (*Checker, error) {
	c := &Checker{blessedTTL: DefaultBlessedTTL, deniedTTL: DefaultDeniedTTL, timeout: DefaultVerifyTimeout, now: time.Now, size: DefaultCacheSize,
		cfg: new(atomic.Pointer[config.Config])}
	c.cfg.Store(cfg)
	for _, o := range opts {
		o(c)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("verify timeout %s: must be positive", c.timeout)
	}
	if c.blessedTTL < 0 || c.deniedTTL < 0 {
		return nil, fmt.Errorf("cache ttl (%s blessed, %s denied): must not be negative", c.blessedTTL, c.deniedTTL)
	}
	var err error
	if c.decisions, err = cache.New[decisionKey, *gate.Decision](c.size, c.now); err != nil {
		return nil, fmt.Errorf("making the decision cache: %w", err)
	}
	c.resolving, _ = cache.New[string, name.Digest](1, c.now)
	c.parsed, _ = cache.New[string, name.Digest](c.size, c.now)
	c.kinds, _ = cache.New[string, types.MediaType](c.size, c.now)
	return c, nil
}

// decisionKey is what a decision depends on: the environment, its policy's version and the
// digest, by its canonical registry and repository, so that repo@sha256:… and
// repo:tag@sha256:… (as mutation pins a tag) are one image, verified once. A struct of the
// strings name.Digest holds, not a string joined from them, so that finding a cached decision
// builds no key.
type decisionKey struct{ environment, policy, registry, repository, digest string }

// ErrPanic marks a check that panicked: gate could not decide the image, and refuses it.
var ErrPanic = errors.New("gate failed unexpectedly (a bug: please report it to gate's maintainers)")

// Result is the answer for one image.
type Result struct {
	// Image is the reference as the workload wrote it.
	Image string
	// Digest is the digest that was verified; empty when the image could not be resolved.
	Digest name.Digest
	// Decision is nil when Err is set.
	Decision *gate.Decision
	// Err means the image could not be decided; callers must refuse it.
	Err error
	// Outcome says whether the decision was cached, shared with a concurrent check, or computed.
	Outcome cache.Outcome
}

// Allowed reports whether the image is blessed. An error is never allowed.
func (r Result) Allowed() bool { return r.Err == nil && r.Decision != nil && r.Decision.Allowed }

// Verifications returns how many verifications this Checker has started (cache misses).
func (c *Checker) Verifications() int64 { return c.verifications.Load() }

// Cached returns how many decisions are kept.
func (c *Checker) Cached() int { return c.decisions.Len() }

// Registry returns the client to reach registries with. It is called only when a registry must
// be asked: an image whose decision is cached needs no client, and no credentials.
type Registry func() *oci.Client

// Client returns a Registry that is always client.
func Client(client *oci.Client) Registry { return func() *oci.Client { return client } }

// Check decides each of images in env (the trust config's default for ""), all in parallel,
// with the registry client of reg, and returns one Result per image in order. An
// environment the trust config does not have is an error.
func (c *Checker) Check(ctx context.Context, reg Registry, env string, images []string) ([]Result, error) {
	cfg := c.cfg.Load()
	e, err := cfg.Environment(env)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(images))
	if len(images) == 1 { // the common Pod: no goroutine to pay for
		results[0] = c.check(ctx, reg, cfg, e, images[0])
		return results, nil
	}
	var wg sync.WaitGroup
	for i, img := range images {
		wg.Go(func() { results[i] = c.check(ctx, reg, cfg, e, img) })
	}
	wg.Wait()
	return results, nil
}

// check decides one image. It runs on a goroutine of its own when a workload has several
// images, where a panic would end the whole process: it is recovered here as "could not
// decide", which every caller refuses.
func (c *Checker) check(ctx context.Context, reg Registry, cfg *config.Config, e *config.Environment, image string) (r Result) {
	r = Result{Image: image}
	defer func() {
		if p := recover(); p != nil {
			r = Result{Image: image, Err: fmt.Errorf("checking %s: %w: %v", image, ErrPanic, p)}
		}
	}()
	r.Digest, r.Err = c.Resolve(ctx, reg, image)
	if r.Err != nil {
		return r
	}
	// The verification may outlive this call, which rewrites r as it returns: it gets a copy.
	subject := r.Digest
	key := decisionKey{environment: e.Name, policy: e.Policy.Version(), registry: subject.RegistryStr(), repository: subject.RepositoryStr(), digest: subject.DigestStr()}
	r.Decision, r.Outcome, r.Err = c.decisions.Do(ctx, key, func(ctx context.Context) (*gate.Decision, time.Duration, error) {
		c.verifications.Add(1)
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		kind, _ := c.kinds.Get(subject.Name())
		d, err := c.verify(ctx, reg(), cfg, e, subject, kind)
		if err != nil {
			return nil, 0, err
		}
		if kind == "" && d.Kind != "" {
			c.kinds.Set(subject.Name(), d.Kind, parsedTTL)
		}
		if c.records != nil {
			if err := c.records.Append(record.Of(d, "admission")); err != nil {
				return nil, 0, err
			}
		}
		if d.Allowed {
			return d, c.blessedTTL, nil
		}
		return d, c.deniedTTL, nil
	})
	r.Err = explainTimeout(ctx, r.Err)
	return c.judgeFreeze(ctx, r)
}

// Resolve returns the digest image names, asking the registry only for a tag; concurrent
// resolutions of the same tag are merged into one request. Tags are not cached: a tag that
// moves must be seen to move. The media type the tag's HEAD tells is kept by digest, so that
// verifying the digest reads no manifest to learn it.
func (c *Checker) Resolve(ctx context.Context, reg Registry, image string) (name.Digest, error) {
	// Parsing a reference is a tenth of a review whose decision is cached: parse each once.
	if d, ok := c.parsed.Get(image); ok {
		return d, nil
	}
	if strings.HasPrefix(image, oci.ChartScheme) {
		// gate's commands take oci:// for Helm charts; a container runtime takes no scheme,
		// and pinning it to a digest would turn a Pod that cannot run into one that can.
		return name.Digest{}, fmt.Errorf("%s: a container image is named without a scheme (write it as %s); oci:// names a Helm chart or another OCI artifact, which a Pod cannot run", image, strings.TrimPrefix(image, oci.ChartScheme))
	}
	client := reg()
	ref, err := client.ParseReference(image)
	if err != nil {
		return name.Digest{}, err
	}
	if d, ok := ref.(name.Digest); ok {
		c.parsed.Set(image, d, parsedTTL)
		return d, nil
	}
	d, _, err := c.resolving.Do(ctx, ref.Name(), func(ctx context.Context) (name.Digest, time.Duration, error) {
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		d, kind, err := client.ResolveKind(ctx, ref.Name())
		if err == nil && kind != "" {
			c.kinds.Set(d.Name(), kind, parsedTTL)
		}
		return d, 0, err
	})
	return d, explainTimeout(ctx, err)
}

// explainTimeout turns an expired deadline into a reason a person reads:
// the caller's, the check's own (set to the same length, so either may fire
// first), or the registry client's, which pkg/oci reports as ErrTimeout. The
// message must not depend on which of them won the race.
func explainTimeout(ctx context.Context, err error) error {
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, oci.ErrTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		return fmt.Errorf("no answer from the registry before the deadline: %w", err)
	}
	return err
}
