package gate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"
)

// Limits of one Gather.
const (
	// fetchConcurrency bounds parallel fetches: enough to hide a registry's
	// latency for the handful of bundles a policy needs, few enough not to
	// look like an attack to the registry.
	fetchConcurrency = 8
	// maxReadBytes bounds the bytes one Gather reads from the registry: four
	// of the largest attestation gate reads, while the bundles a policy needs
	// are a handful of tens of KiB each. Past it, attestations are rejected
	// unread ("over the read budget") and the decision goes on, in bounded
	// time (120 junk bundles of 16 MB ran past a minute; they now cost at
	// most this), instead of running into the caller's deadline. Gather
	// reads manifests (where gate's bundles ride) before blobs, and blobs
	// smallest first, so junk that is large is the first to go unread. An
	// unread attestation could be a NOGO, so Decide never blesses over one:
	// a flood can still deny an image (until the junk is removed), never
	// admit one.
	maxReadBytes = 4 * oci.MaxAttestationSize
)

// ErrNotRead marks an attestation Gather did not read: past the read
// budget or past MaxAttestations. Nobody can tell what it says, so a
// decision over evidence with one is never "blessed" (see Decide).
var ErrNotRead = errors.New("not read")

// ErrPanic means verifying one attestation panicked: a bug in gate or a
// library it uses. It is "could not decide", never a rejection, since
// nobody can tell what the attestation would have said.
var ErrPanic = errors.New("internal error while verifying an attestation (a bug in gate: please report it with this message)")

// Verifier gathers verified evidence about images, as remote.Puller
// fetches them: it holds the registry client and the trust config, and is
// safe for concurrent use.
type Verifier struct {
	client *oci.Client
	trust  *verify.Trust
	legacy bool
	// budget is maxReadBytes; a test makes it smaller rather than push gigabytes.
	budget int64
	// most is oci.MaxAttestations; a test makes it smaller rather than push a thousand.
	most int
	// check is checkAttestation; a test makes it panic.
	check func(t *verify.Trust, a oci.Attestation, raw []byte, digest string) (*verify.Evidence, error)
}

// NewVerifier returns a Verifier reading registries through c and trusting as cfg says.
func NewVerifier(c *oci.Client, cfg *config.Config) *Verifier {
	return &Verifier{client: c, trust: cfg.Trust, legacy: cfg.Legacy, budget: maxReadBytes, most: oci.MaxAttestations, check: checkAttestation}
}

// Gathered is the verified evidence about one digest, and what did not count.
type Gathered struct {
	Digest   name.Digest
	Evidence []Verified
	Rejected []Rejected
}

// NotRead counts the attestations that were rejected unread (ErrNotRead).
func (g *Gathered) NotRead() int {
	n := 0
	for _, r := range g.Rejected {
		if errors.Is(r.Err, ErrNotRead) {
			n++
		}
	}
	return n
}

// Verified is an attestation that counts as evidence, and where it was found.
type Verified struct {
	UsedEvidence
	Predicate map[string]any
	// SignedAt is the time a log or timestamp authority vouches for; zero for key-signed evidence.
	SignedAt time.Time
}

// Gather finds the attestations of d whose annotated predicate type is one
// of types (and every unannotated one, which could be anything), and
// verifies each. An attestation at fault (unreadable, missing, too large,
// over the read budget, badly signed) is rejected with its reason; an error
// means the registry could not be read, or gate failed, and nothing can be
// decided.
func (v *Verifier) Gather(ctx context.Context, d name.Digest, types []string) (*Gathered, error) {
	all, err := v.list(ctx, d)
	if err != nil {
		return nil, err
	}
	return v.gatherListed(ctx, d, all, types)
}

// list returns the attestations of d: its referrers, and cosign's legacy
// ones unless the trust config turned them off.
func (v *Verifier) list(ctx context.Context, d name.Digest) ([]oci.Attestation, error) {
	if v.legacy {
		return v.client.List(ctx, d)
	}
	return v.client.ListReferrers(ctx, d)
}

// gatherListed is Gather over all, the attestations listed for d.
func (v *Verifier) gatherListed(ctx context.Context, d name.Digest, all []oci.Attestation, types []string) (*Gathered, error) {
	return v.gatherSome(ctx, d, all, wanted(all, types), nil, nil)
}

// gatherSome verifies all[i] for each i in todo (in wanted's order), taking
// the results that an earlier read with budget (early, by index into all)
// has, and reading the rest with what is left of budget (a new one when
// nil). When an attestation of todo went unread for want of budget,
// everything is read again in one read: the result is then the same as if
// todo had been read alone.
func (v *Verifier) gatherSome(ctx context.Context, d name.Digest, all []oci.Attestation, todo []int, early map[int]result, budget *oci.Budget) (*Gathered, error) {
	g := &Gathered{Digest: d, Evidence: []Verified{}, Rejected: []Rejected{}}
	// Past the count, as past the read budget, attestations are rejected
	// unread and the decision goes on: a flood of referrers denies an image
	// (Decide never blesses over what it did not read), never makes it
	// undecidable.
	if len(todo) > v.most {
		for _, i := range todo[v.most:] {
			g.Rejected = append(g.Rejected, rejection(all[i], fmt.Errorf("%w: %s has more than %d attestations of the types the policy reads, and gate reads the newest", ErrNotRead, d, v.most)))
		}
		todo = todo[:v.most]
	}
	if budget == nil {
		budget = oci.NewBudget(v.budget)
	}
	results := make([]result, len(todo)) // by position in todo
	var left []int                       // the positions early has no result for
	for k, i := range todo {
		if r, ok := early[i]; ok {
			results[k] = r
		} else {
			left = append(left, k)
		}
	}
	leftAll := make([]oci.Attestation, len(left))
	for j, k := range left {
		leftAll[j] = all[todo[k]]
	}
	read, err := v.read(ctx, d, leftAll, budget)
	if err != nil {
		return nil, fmt.Errorf("fetching attestations of %s: %w", d, err)
	}
	for j, k := range left {
		results[k] = read[j]
	}
	// Only an attestation todo names that went unread makes the result
	// differ from reading todo alone: one the guess read for nothing, unread
	// itself, took nothing todo needed.
	if len(early) > 0 && slices.ContainsFunc(results, notRead) {
		return v.gatherSome(ctx, d, all, todo, nil, nil)
	}
	for k, i := range todo {
		a, r := all[i], results[k]
		if r.err != nil {
			g.Rejected = append(g.Rejected, rejection(a, r.err))
			continue
		}
		g.Evidence = append(g.Evidence, Verified{
			UsedEvidence: UsedEvidence{Source: a.Source, Location: location(a), PredicateType: r.ev.PredicateType, Signer: r.ev.Signer},
			Predicate:    r.ev.Predicate,
			SignedAt:     r.ev.SignedAt,
		})
	}
	return g, nil
}

// notRead says whether r is a rejection unread (ErrNotRead).
func notRead(r result) bool { return errors.Is(r.err, ErrNotRead) }

// notGuessed are the predicate types gatherCompiling does not read before
// it knows the policy reads them: a VSA, a policy bundle and a freeze are
// gate's own records rather than evidence a policy usually reads (and
// images gather VSAs), and SBOMs are large.
var notGuessed = []string{attestations.VSAType, attestations.PolicyBundleType, attestations.FreezeType, attestations.SPDXType, attestations.CycloneDXType}

// gatherCompiling is Gather while the policy is being compiled; types waits
// for the types it reads. Meanwhile it lists the attestations of d and reads
// those of the types some role may sign (but notGuessed): a guess at what
// the policy reads, so that the registry's latency and the compile overlap.
// What it returns is what Gather with the policy's types returns: the
// guess's results for the attestations those types select, the others read
// then, and everything read again when the guess failed (the registry,
// the read budget, the count).
func (v *Verifier) gatherCompiling(ctx context.Context, d name.Digest, types func() ([]string, error)) (*Gathered, error) {
	all, err := v.list(ctx, d)
	if err != nil {
		return nil, err
	}
	guess := slices.DeleteFunc(v.trust.Types(), func(t string) bool { return slices.Contains(notGuessed, t) })
	var early map[int]result
	budget := oci.NewBudget(v.budget)
	if todo := wanted(all, guess); len(todo) <= v.most {
		if read, err := v.read(ctx, d, pick(all, todo), budget); err == nil {
			early = make(map[int]result, len(todo))
			for j, i := range todo {
				early[i] = read[j]
			}
		} else {
			budget = nil
		}
	}
	read, err := types()
	if err != nil {
		return nil, err
	}
	return v.gatherSome(ctx, d, all, wanted(all, read), early, budget)
}

type result struct {
	ev  *verify.Evidence
	err error // why the attestation does not count
}

// read locates every attestation in todo (a manifest each; none for the
// legacy layout), then reads the blobs left, smallest first, within
// budget, and checks each bundle as it arrives.
func (v *Verifier) read(ctx context.Context, d name.Digest, todo []oci.Attestation, budget *oci.Budget) ([]result, error) {
	results := make([]result, len(todo))
	located := make([]oci.Located, len(todo))
	err := v.each(ctx, len(todo), func(ctx context.Context, i int) error {
		l, err := v.client.Locate(ctx, d, todo[i], budget)
		if err != nil {
			return attestationFault(&results[i], err)
		}
		located[i] = l
		if l.Content != nil {
			results[i].ev, results[i].err = v.check(v.trust, todo[i], l.Content, d.DigestStr())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var blobs []int
	for i, l := range located {
		if results[i].err == nil && l.Content == nil {
			blobs = append(blobs, i)
		}
	}
	slices.SortStableFunc(blobs, func(a, b int) int { return cmp.Compare(located[a].Blob.Size, located[b].Blob.Size) })
	err = v.each(ctx, len(blobs), func(ctx context.Context, j int) error {
		i := blobs[j]
		raw, err := v.client.ReadBlob(ctx, d, located[i].Blob, budget)
		if err != nil {
			return attestationFault(&results[i], err)
		}
		results[i].ev, results[i].err = v.check(v.trust, todo[i], raw, d.DigestStr())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// attestationFault records err as r's rejection when it is a fault of that
// attestation (oci.ErrUnusable), and returns it otherwise: a fault of the
// registry itself (unreachable, too slow, refusing credentials, failing)
// stops the whole decision.
func attestationFault(r *result, err error) error {
	if !errors.Is(err, oci.ErrUnusable) {
		return err
	}
	if errors.Is(err, oci.ErrOverBudget) {
		err = fmt.Errorf("%w: %w", ErrNotRead, err)
	}
	r.err = err
	return nil
}

// each runs f for 0..n-1, fetchConcurrency at a time, in order of index. A
// panic in f is recovered as an error wrapping ErrPanic: the process (a
// webhook serving others) must outlive one bad attestation.
func (v *Verifier) each(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i := range n {
		g.Go(func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%w: %v", ErrPanic, r)
				}
			}()
			return f(gctx, i)
		})
	}
	return g.Wait()
}

// wanted returns the attestations of all worth reading, as indexes into
// all, in the order to read them: those annotated with a type in types,
// then the unannotated (which could be anything), each newest first by
// their annotated time.
func wanted(all []oci.Attestation, types []string) []int {
	var out []int
	for i, a := range all {
		if a.PredicateType == "" || slices.Contains(types, a.PredicateType) {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(i, j int) int {
		a, b := all[i], all[j]
		if (a.PredicateType == "") != (b.PredicateType == "") {
			if a.PredicateType == "" {
				return 1
			}
			return -1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	return out
}

// pick returns all[i] for each i of idx.
func pick(all []oci.Attestation, idx []int) []oci.Attestation {
	out := make([]oci.Attestation, len(idx))
	for j, i := range idx {
		out[j] = all[i]
	}
	return out
}

func location(a oci.Attestation) string {
	if a.Source == oci.Legacy {
		return a.Blob.String()
	}
	return a.Manifest.String()
}

func rejection(a oci.Attestation, err error) Rejected {
	return Rejected{Source: a.Source, Location: location(a), PredicateType: a.PredicateType, Reason: err.Error(), Err: err}
}
