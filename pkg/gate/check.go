package gate

import (
	"encoding/json"
	"fmt"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/verify"
)

// checkAttestation verifies raw, the content a locates, as evidence about digest.
func checkAttestation(t *verify.Trust, a oci.Attestation, raw []byte, digest string) (*verify.Evidence, error) {
	var ev *verify.Evidence
	var err error
	if a.Source == oci.Legacy {
		ev, err = t.Envelope(raw, digest)
	} else {
		ev, err = t.Bundle(raw, digest)
	}
	if err != nil {
		return nil, err
	}
	if ev.PredicateType == attestations.CosignVulnType {
		if err := normalizeCosignVuln(ev); err != nil {
			return nil, err
		}
	}
	if err := normalizeSBOM(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// normalizeCosignVuln rewrites the predicate of cosign's vuln attestation,
// whose scanner.result is the scanner's raw report, into the vulns v0.2
// shape the policy reads, so that both kinds of scan count alike.
func normalizeCosignVuln(ev *verify.Evidence) error {
	v, err := report.NormalizeCosignVuln(ev.Raw)
	if err != nil {
		return fmt.Errorf("%w: cosign vuln predicate: %w", verify.ErrMalformed, err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ev.Predicate, ev.Raw = nil, raw
	return json.Unmarshal(raw, &ev.Predicate)
}
