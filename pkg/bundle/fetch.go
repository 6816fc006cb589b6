package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/open-policy-agent/opa/v1/ast"
	opabundle "github.com/open-policy-agent/opa/v1/bundle"
)

// ErrUnsigned means no signature of a role allowed to sign policies is on
// the bundle's digest: it was never pushed with gate policy push, was
// signed by a key the trust config does not trust for policies, or was
// changed since (a changed file is a new digest, which nobody signed).
var ErrUnsigned = errors.New("policy bundle is not signed by a role allowed to sign policies")

// Fetched is a policy bundle whose signature checked out, compiled.
type Fetched struct {
	// Digest is the bundle's manifest digest, which the policy's Version names.
	Digest name.Digest
	Policy *policy.Policy
	// Signers are the roles that signed it.
	Signers []string
}

// Fetch resolves ref (REG/REPO@sha256:… or REG/REPO:TAG) to a digest,
// checks that a role cfg allows to sign policies signed that digest, then
// reads the bundle (checked against the digest, at most MaxLayerSize) and
// compiles it. The policy's Version is "oci://REG/REPO@sha256:…", so that
// every decision made with it names the bundle.
func Fetch(ctx context.Context, c *oci.Client, cfg *config.Config, ref string) (*Fetched, error) {
	d, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("resolving policy bundle: %w", err)
	}
	signers, err := verified(ctx, c, cfg, d)
	if err != nil {
		return nil, err
	}
	layer, err := c.ReadArtifactLayer(ctx, d, ConfigMediaType, LayerMediaType, MaxLayerSize)
	if err != nil {
		return nil, fmt.Errorf("reading policy bundle (gate policy push writes one gate reads): %w", err)
	}
	p, err := compile(ctx, config.BundleScheme+d.String(), layer)
	if err != nil {
		return nil, err
	}
	return &Fetched{Digest: d, Policy: p, Signers: signers}, nil
}

// Fetcher returns Fetch with c, for config.WithPolicyFetcher.
func Fetcher(c *oci.Client) config.PolicyFetcher {
	return func(ctx context.Context, cfg *config.Config, ref string) (*policy.Policy, error) {
		f, err := Fetch(ctx, c, cfg, ref)
		if err != nil {
			return nil, err
		}
		return f.Policy, nil
	}
}

// verified returns the roles whose policy-bundle statements about d verify
// under cfg's trust, or ErrUnsigned with why each other one did not.
func verified(ctx context.Context, c *oci.Client, cfg *config.Config, d name.Digest) ([]string, error) {
	g, err := gate.NewVerifier(c, cfg).Gather(ctx, d, []string{attestations.PolicyBundleType})
	if err != nil {
		return nil, fmt.Errorf("reading the signatures of policy bundle %s: %w", d, err)
	}
	var signers []string
	for _, e := range g.Evidence {
		if e.PredicateType == attestations.PolicyBundleType {
			signers = append(signers, e.Signer.Role)
		}
	}
	if len(signers) > 0 {
		return signers, nil
	}
	var why []string
	for _, r := range g.Rejected {
		why = append(why, r.Reason)
	}
	if len(why) == 0 {
		why = append(why, "it has no signature at all")
	}
	return nil, fmt.Errorf("%w: %s (%s); push it with `gate policy push oci://%s:TAG --key KEY` using the key of a role whose maySign lists policy, or point the environment at a signed digest", ErrUnsigned, d, strings.Join(why, "; "), d.Context().Name())
}

// compile reads the bundle in layer and compiles its policy with its data
// at data.gate.params; origin names the bundle in errors.
func compile(ctx context.Context, origin string, layer []byte) (*policy.Policy, error) {
	b, err := opabundle.NewCustomReader(opabundle.NewTarballLoaderWithBaseURL(bytes.NewReader(layer), "")).
		WithSkipBundleVerification(true). // gate verified the signature on the digest instead
		WithSizeLimitBytes(MaxFileSize).
		WithRegoVersion(ast.RegoV1).
		Read()
	if err != nil {
		return nil, fmt.Errorf("reading policy bundle %s: %w", origin, err)
	}
	files := make(map[string][]byte, len(b.Modules))
	for _, m := range b.Modules {
		files[m.Path] = m.Raw
	}
	params, err := bundleParams(b.Data)
	if err != nil {
		return nil, fmt.Errorf("reading policy bundle %s: %w", origin, err)
	}
	p, err := policy.Compile(ctx, origin, files, params)
	if err != nil {
		return nil, fmt.Errorf("compiling policy bundle %s: %w", origin, err)
	}
	return p, nil
}

// bundleParams returns the data at data.gate.params, refusing data
// anywhere else: gate reads nothing else, and a policy that did would decide
// differently under opa than under gate.
func bundleParams(data map[string]any) (map[string]any, error) {
	params := map[string]any{}
	for k, v := range data {
		top, ok := v.(map[string]any)
		if k != paramsPath[0] || !ok {
			return nil, fmt.Errorf("data.json holds data.%s: gate reads only data.gate.params", k)
		}
		for k2, v2 := range top {
			p, ok := v2.(map[string]any)
			if k2 != paramsPath[1] || !ok {
				return nil, fmt.Errorf("data.json holds data.gate.%s: gate reads only data.gate.params, an object", k2)
			}
			params = p
		}
	}
	return params, nil
}

func digestOf(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}
