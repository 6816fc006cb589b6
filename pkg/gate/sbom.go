package gate

import (
	"encoding/json"
	"fmt"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/verify"
)

// normalizeSBOM rewrites the predicate of an SPDX or CycloneDX attestation,
// which is the SBOM document itself, into report.SBOMSummary, the shape the
// policy reads, so that both formats count alike; evidence of other types
// it leaves alone. An SBOM that cannot be read wholly is malformed evidence.
func normalizeSBOM(ev *verify.Evidence) error {
	if ev.PredicateType != attestations.SPDXType && ev.PredicateType != attestations.CycloneDXType {
		return nil
	}
	s, err := report.NormalizeSBOM(ev.PredicateType, ev.Raw)
	if err != nil {
		return fmt.Errorf("%w: SBOM predicate: %w", verify.ErrMalformed, err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	ev.Predicate, ev.Raw = nil, raw
	return json.Unmarshal(raw, &ev.Predicate)
}
