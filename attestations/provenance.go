package attestations

import (
	"errors"
	"fmt"
	"time"

	provv1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Build is what a build stage knows about the build it ran.
type Build struct {
	BuilderID string // who built it, e.g. https://github.com/actions/runner/github-hosted
	BuildType string // how, a URI naming the build's template
	Source    string // the source repository, e.g. git+https://github.com/acme/app
	Commit    string // the source commit
	// InvocationID names the run, e.g. the CI job's URL; optional.
	InvocationID      string
	Started, Finished time.Time
}

// Provenance returns b as a SLSA provenance v1 predicate. The source is the
// first resolved dependency, with its commit as the gitCommit digest.
func Provenance(b Build) (*provv1.Provenance, error) {
	var missing []error
	for name, v := range map[string]string{"builder id": b.BuilderID, "build type": b.BuildType, "source repository": b.Source, "source commit": b.Commit} {
		if v == "" {
			missing = append(missing, fmt.Errorf("provenance needs the %s", name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	if !b.Started.IsZero() && !b.Finished.IsZero() && b.Finished.Before(b.Started) {
		return nil, fmt.Errorf("provenance: build finished (%s) before it started (%s)", b.Finished.Format(time.RFC3339), b.Started.Format(time.RFC3339))
	}
	ext, err := structpb.NewStruct(map[string]any{"source": map[string]any{"uri": b.Source, "digest": map[string]any{"gitCommit": b.Commit}}})
	if err != nil {
		return nil, err
	}
	meta := &provv1.BuildMetadata{InvocationId: b.InvocationID}
	if !b.Started.IsZero() {
		meta.StartedOn = timestamppb.New(b.Started)
	}
	if !b.Finished.IsZero() {
		meta.FinishedOn = timestamppb.New(b.Finished)
	}
	p := &provv1.Provenance{
		BuildDefinition: &provv1.BuildDefinition{
			BuildType:            b.BuildType,
			ExternalParameters:   ext,
			ResolvedDependencies: []*intoto.ResourceDescriptor{{Uri: b.Source, Digest: map[string]string{"gitCommit": b.Commit}}},
		},
		RunDetails: &provv1.RunDetails{Builder: &provv1.Builder{Id: b.BuilderID}, Metadata: meta},
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return p, nil
}
