package gate

import (
	"context"
	"fmt"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1"
)

// Summary is dec as a SLSA verification summary by verifierID: the
// environment, the policy version, the result, and the attestations the
// policy saw (never the rejected ones, which did not count).
func Summary(dec *Decision, d name.Digest, verifierID string) (attestations.Summary, error) {
	if dec.Digest != d.DigestStr() {
		return attestations.Summary{}, fmt.Errorf("the decision is about %s, not %s", dec.Digest, d.DigestStr())
	}
	s := attestations.Summary{
		VerifierID:    verifierID,
		Time:          dec.Time,
		Resource:      d.String(),
		Environment:   dec.Environment,
		PolicyVersion: dec.PolicyVersion,
		Passed:        dec.Allowed,
	}
	for _, e := range dec.Evidence {
		h, err := v1.NewHash(e.Location)
		if err != nil {
			return attestations.Summary{}, fmt.Errorf("evidence %s: %w", e.Location, err)
		}
		s.Inputs = append(s.Inputs, attestations.Input{URI: d.Context().Digest(h.String()).String(), Digest: h.String()})
	}
	return s, nil
}

// Summarized is a signed verification summary, and where it was pushed.
type Summarized struct {
	Bundle   []byte // the Sigstore bundle, as pushed
	Referrer string // its referrer manifest's digest; "" when not pushed
}

// Summarize signs dec as a SLSA VSA by verifierID with s, and, when push,
// stores it as a referrer of the digest dec is about (never a tag, which
// may have moved since). A denial is summarized too (FAILED): a summary
// records a verification, not a blessing.
func Summarize(ctx context.Context, c *oci.Client, s *sign.Signer, dec *Decision, verifierID string, push bool) (*Summarized, error) {
	r, err := c.ParseReference(dec.Image)
	if err != nil {
		return nil, err
	}
	d := r.Context().Digest(dec.Digest)
	sum, err := Summary(dec, d, verifierID)
	if err != nil {
		return nil, err
	}
	vsa, err := attestations.VSA(sum)
	if err != nil {
		return nil, err
	}
	st, err := attestations.Statement(d.Context().Name(), d.DigestStr(), attestations.VSAType, vsa)
	if err != nil {
		return nil, err
	}
	bundle, err := s.Sign(st)
	if err != nil {
		return nil, err
	}
	out := &Summarized{Bundle: bundle}
	if push {
		h, err := c.Push(ctx, d, bundle, attestations.VSAType)
		if err != nil {
			return nil, fmt.Errorf("pushing the verification summary: %w", err)
		}
		out.Referrer = h.String()
	}
	return out, nil
}
