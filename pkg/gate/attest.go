package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/name"
)

// Attested says what Attest stored.
type Attested struct {
	Digest        name.Digest
	PredicateType string
	Referrer      string // the digest of the referrer manifest holding the bundle
}

// Attest signs predicate, of predicateType, about the image ref names and
// stores it beside the image. A tag is resolved once; only the digest is signed.
func Attest(ctx context.Context, c *oci.Client, s *sign.Signer, ref, predicateType string, predicate any) (*Attested, error) {
	d, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return attestDigest(ctx, c, s, d, predicateType, predicate)
}

func attestDigest(ctx context.Context, c *oci.Client, s *sign.Signer, d name.Digest, predicateType string, predicate any) (*Attested, error) {
	st, err := attestations.Statement(d.Context().Name(), d.DigestStr(), predicateType, predicate)
	if err != nil {
		return nil, err
	}
	bundle, err := s.Sign(st)
	if err != nil {
		return nil, err
	}
	h, err := c.Push(ctx, d, bundle, predicateType)
	if err != nil {
		return nil, err
	}
	return &Attested{Digest: d, PredicateType: predicateType, Referrer: h.String()}, nil
}

// ReadReport reads and parses a tool's report file. It is its own step so
// that a report that does not parse stops everything before anything is signed.
func ReadReport(path string, opts report.Options) (*report.Report, error) {
	return report.ReadFile(path, opts)
}

// Approval is what a stakeholder decides with `gate approve`.
type Approval struct {
	Role     string
	Decision string // attestations.DecisionGo or DecisionNoGo
	Reason   string
	Expires  time.Duration // 0: the policy's maximum age alone applies
	Waivers  []string
	// Checklist is the items ticked before deciding, each with its link.
	Checklist []attestations.CheckItem
}

// ParseCheck reads a --check flag's ITEM=URL.
func ParseCheck(s string) (attestations.CheckItem, error) {
	item, link, ok := strings.Cut(s, "=")
	if !ok {
		return attestations.CheckItem{}, fmt.Errorf("--check %q: want ITEM=URL, such as dr-plan=https://wiki.example/dr", s)
	}
	c := attestations.CheckItem{Item: item, Link: link}
	return c, c.Check()
}

// Check says what is wrong with a, before anything is signed.
func (a Approval) Check() error {
	if a.Decision != attestations.DecisionGo && a.Decision != attestations.DecisionNoGo {
		return fmt.Errorf("decision %q: must be %s or %s", a.Decision, attestations.DecisionGo, attestations.DecisionNoGo)
	}
	if a.Role == "" {
		return fmt.Errorf("an approval needs the role it is given in")
	}
	if a.Reason == "" {
		return fmt.Errorf("an approval needs a reason")
	}
	if a.Expires < 0 {
		return fmt.Errorf("expiry %s is in the past", a.Expires)
	}
	seen := map[string]bool{}
	for _, c := range a.Checklist {
		if err := c.Check(); err != nil {
			return err
		}
		if seen[c.Item] {
			return fmt.Errorf("checklist item %s is given twice", c.Item)
		}
		seen[c.Item] = true
	}
	return nil
}

// Approve signs a stakeholder's decision about the image ref names.
func Approve(ctx context.Context, c *oci.Client, s *sign.Signer, ref string, a Approval, now time.Time) (*Attested, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	d, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	// Milliseconds, not seconds: a signer's latest decision is the one with
	// the latest approvedAt, and a tie goes to NOGO, so a GO given in the
	// same second as the NOGO it answers would not count.
	p := attestations.Approval{
		Decision: a.Decision, Role: a.Role, Reason: a.Reason,
		ApprovedAt: now.UTC().Truncate(time.Millisecond), Reviewed: ref, Waivers: a.Waivers,
		Checklist: a.Checklist,
	}
	if a.Expires > 0 {
		p.ExpiresAt = p.ApprovedAt.Add(a.Expires)
	}
	return attestDigest(ctx, c, s, d, attestations.ApprovalType, p)
}
