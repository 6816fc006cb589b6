package bundle

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/open-policy-agent/opa/v1/ast"
	opabundle "github.com/open-policy-agent/opa/v1/bundle"
)

// The media types of a bundle in an OCI registry that OPA's own OCI
// downloader (an `opa run` bundle service of type oci) accepts: in OPA
// v1.22 it takes the one layer of type OCI tar+gzip and no other, so the
// application/vnd.openpolicyagent.* types some tools use would leave opa
// unable to pull what gate pushes (docs/management-bundles, "Current
// Limitations"). What makes a gate bundle is its signature, not its type.
const (
	ConfigMediaType = types.OCIConfigJSON
	LayerMediaType  = types.OCILayer
)

// Limits on what a bundle may hold; a policy is text a person reviews.
const (
	// MaxLayerSize bounds the compressed bundle read from a registry: the
	// shipped policy and its data pack into a few KiB.
	MaxLayerSize = 4 << 20
	// MaxFileSize bounds one file in the bundle, uncompressed.
	MaxFileSize = 4 << 20
)

// paramsPath is where gate mounts an environment's data, so that the
// bundle's data.json is that data at the same path, as OPA would mount it.
var paramsPath = []string{"gate", "params"}

// Pack makes an OPA bundle (tar.gz) of the policy in dir (its *.rego files,
// tests left out) and the data file at data ("" for none), mounted at
// data.gate.params. It returns the bundle and its files, sorted.
func Pack(dir, data string) ([]byte, []string, error) {
	b := opabundle.Bundle{Data: map[string]any{}}
	b.Manifest.Init()
	b.Manifest.AddRoot(paramsPath[0])
	b.Manifest.SetRegoVersion(ast.RegoV1)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		p := "/" + filepath.ToSlash(rel)
		b.Modules = append(b.Modules, opabundle.ModuleFile{URL: p, Path: p, Raw: src})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading policy %s: %w", dir, err)
	}
	if len(b.Modules) == 0 {
		return nil, nil, fmt.Errorf("packing policy: no .rego files in %s", dir)
	}
	params := map[string]any{}
	if data != "" {
		if params, err = policy.LoadParams(data); err != nil {
			return nil, nil, err
		}
	}
	b.Data[paramsPath[0]] = map[string]any{paramsPath[1]: params}
	var buf bytes.Buffer
	if err := opabundle.NewWriter(&buf).Write(b); err != nil {
		return nil, nil, fmt.Errorf("writing bundle: %w", err)
	}
	files := []string{"data.json"}
	for _, m := range b.Modules {
		files = append(files, strings.TrimPrefix(m.Path, "/"))
	}
	slices.Sort(files)
	return buf.Bytes(), files, nil
}

// Pushed says what Push stored.
type Pushed struct {
	// Digest is the bundle's manifest digest: pin an environment to it.
	Digest name.Digest
	Files  []string
	// Signature is the digest of the referrer holding the signed statement.
	Signature string
}

// Push packs the policy in dir with the data file at data, stores it under
// ref (REG/REPO:TAG), and signs its digest with s as a policy bundle
// (attestations.PolicyBundleType), beside it as a referrer.
func Push(ctx context.Context, c *oci.Client, s *sign.Signer, ref, dir, data string) (*Pushed, error) {
	if _, err := name.NewTag(ref, name.StrictValidation); err != nil {
		return nil, fmt.Errorf("%s: give the registry, repository and tag to push the bundle to, as in REG/REPO:TAG: %w", ref, err)
	}
	r, err := c.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	tag := r.(name.Tag) // a digest is not a strict tag
	layer, files, err := Pack(dir, data)
	if err != nil {
		return nil, err
	}
	d, err := c.PushArtifact(ctx, tag, oci.Artifact{ConfigType: ConfigMediaType, Config: []byte("{}"), LayerType: LayerMediaType, Layer: layer})
	if err != nil {
		return nil, err
	}
	st, err := attestations.Statement(d.Context().Name(), d.DigestStr(), attestations.PolicyBundleType,
		attestations.PolicyBundle{Files: files, Layer: digestOf(layer)})
	if err != nil {
		return nil, err
	}
	signed, err := s.Sign(st)
	if err != nil {
		return nil, err
	}
	h, err := c.Push(ctx, d, signed, attestations.PolicyBundleType)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", d, err)
	}
	return &Pushed{Digest: d, Files: files, Signature: h.String()}, nil
}
