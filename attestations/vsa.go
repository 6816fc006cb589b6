package attestations

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// VSAType is SLSA's Verification Summary Attestation v1.
const VSAType = "https://slsa.dev/verification_summary/v1"

// Values of a VSA's verificationResult and verifiedLevels.
const (
	VSAPassed = "PASSED"
	VSAFailed = "FAILED"
	// vsaSLSAVersion is the SLSA version whose VSA format gate writes.
	vsaSLSAVersion = "1.0"
	// VSABlessedLevelPrefix begins the verified level gate claims for an
	// image blessed in an environment ("GATE_BLESSED_" + environment): the
	// spec lets verifiers use their own values, but not ones starting SLSA_.
	// gate's policies are not SLSA tracks, so it claims no SLSA level.
	VSABlessedLevelPrefix = "GATE_BLESSED_"
	// VSAPolicyURIPrefix begins policy.uri, which ends in the environment:
	// VSA v1's policy has only uri and digest, and strict readers refuse
	// other fields, so the environment rides in the uri.
	VSAPolicyURIPrefix = "https://gatehq.dev/policy/environment/"
)

// Summary is what a VSA says about one verification.
type Summary struct {
	VerifierID    string
	Time          time.Time
	Resource      string // the image's digest reference, reg/repo@sha256:…
	Environment   string
	PolicyVersion string // "sha256:<hex>"
	Passed        bool
	Inputs        []Input
}

// Input is an attestation a verification used.
type Input struct {
	URI    string // where it is: reg/repo@sha256:… of its manifest or blob
	Digest string // "sha256:<hex>"
}

// VSA returns s as a SLSA Verification Summary v1 predicate.
func VSA(s Summary) (*vsav1.VerificationSummary, error) {
	if s.VerifierID == "" || s.Resource == "" || s.Environment == "" || s.Time.IsZero() {
		return nil, errors.New("a verification summary needs a verifier id, a resource, an environment and a time")
	}
	pd, err := digestSet(s.PolicyVersion)
	if err != nil {
		return nil, fmt.Errorf("policy version: %w", err)
	}
	v := &vsav1.VerificationSummary{
		Verifier:           &vsav1.VerificationSummary_Verifier{Id: s.VerifierID},
		TimeVerified:       timestamppb.New(s.Time.UTC()),
		ResourceUri:        "oci://" + s.Resource,
		Policy:             &vsav1.VerificationSummary_Policy{Uri: VSAPolicyURIPrefix + url.PathEscape(s.Environment), Digest: pd},
		VerificationResult: VSAFailed,
		VerifiedLevels:     []string{VSAFailed},
		SlsaVersion:        vsaSLSAVersion,
	}
	if s.Passed {
		v.VerificationResult = VSAPassed
		v.VerifiedLevels = []string{VSABlessedLevelPrefix + strings.ToUpper(s.Environment)}
	}
	for _, in := range s.Inputs {
		d, err := digestSet(in.Digest)
		if err != nil {
			return nil, fmt.Errorf("input attestation %s: %w", in.URI, err)
		}
		v.InputAttestations = append(v.InputAttestations, &vsav1.VerificationSummary_InputAttestation{Uri: "oci://" + in.URI, Digest: d})
	}
	return v, nil
}

func digestSet(d string) (map[string]string, error) {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || alg == "" || hex == "" {
		return nil, fmt.Errorf("digest %q is not of the form algorithm:hex", d)
	}
	return map[string]string{alg: hex}, nil
}

// validateVSA checks what VSA v1 requires: verifier.id, resourceUri,
// policy (uri or digest), verificationResult PASSED or FAILED, and
// verifiedLevels; timeVerified and each input's uri and digest where given.
func validateVSA(raw []byte) error {
	_, err := parseVSA(raw)
	return err
}

// parseVSA is validateVSA that returns the VSA it read.
func parseVSA(raw []byte) (*vsav1.VerificationSummary, error) {
	v := &vsav1.VerificationSummary{}
	if err := protojson.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	if err := jsonNamesOnly(raw, v); err != nil {
		return nil, err
	}
	if err := checkVSA(v); err != nil {
		return nil, err
	}
	return v, nil
}

func checkVSA(v *vsav1.VerificationSummary) error {
	switch {
	case v.GetVerifier().GetId() == "":
		return errors.New("field verifier.id: required")
	case v.GetResourceUri() == "":
		return errors.New("field resourceUri: required")
	case v.GetPolicy().GetUri() == "" && len(v.GetPolicy().GetDigest()) == 0:
		return errors.New("field policy: needs a uri or a digest")
	case v.GetVerificationResult() != VSAPassed && v.GetVerificationResult() != VSAFailed:
		return fmt.Errorf("field verificationResult: %q is not %s or %s", v.GetVerificationResult(), VSAPassed, VSAFailed)
	case len(v.GetVerifiedLevels()) == 0:
		return errors.New("field verifiedLevels: required")
	}
	for i, in := range v.GetInputAttestations() {
		if in.GetUri() == "" || len(in.GetDigest()) == 0 {
			return fmt.Errorf("field inputAttestations[%d]: needs a uri and a digest", i)
		}
	}
	return nil
}

// ReadVSA reads raw, a VSA v1 predicate, back into the Summary it says:
// the inverse of VSA. It refuses one that does not validate, has no
// timeVerified, or whose policy is not gate's (a uri naming an environment
// and a digest of one algorithm), since nobody could say which policy
// version of which environment it passed.
func ReadVSA(raw []byte) (Summary, error) {
	v, err := parseVSA(raw)
	if err != nil {
		return Summary{}, err
	}
	if v.GetTimeVerified() == nil {
		return Summary{}, errors.New("field timeVerified: required to tell how fresh the summary is")
	}
	if err := v.GetTimeVerified().CheckValid(); err != nil {
		return Summary{}, fmt.Errorf("field timeVerified: %w", err)
	}
	rest, ok := strings.CutPrefix(v.GetPolicy().GetUri(), VSAPolicyURIPrefix)
	if !ok {
		return Summary{}, fmt.Errorf("field policy.uri: %q does not begin %s, so it names no environment of gate's", v.GetPolicy().GetUri(), VSAPolicyURIPrefix)
	}
	env, err := url.PathUnescape(rest)
	if err != nil || env == "" {
		return Summary{}, fmt.Errorf("field policy.uri: %q names no environment", v.GetPolicy().GetUri())
	}
	if len(v.GetPolicy().GetDigest()) != 1 {
		return Summary{}, fmt.Errorf("field policy.digest: %d digests, want the policy version's one", len(v.GetPolicy().GetDigest()))
	}
	s := Summary{
		VerifierID:  v.GetVerifier().GetId(),
		Time:        v.GetTimeVerified().AsTime(),
		Resource:    strings.TrimPrefix(v.GetResourceUri(), "oci://"),
		Environment: env,
		Passed:      v.GetVerificationResult() == VSAPassed,
	}
	for alg, hex := range v.GetPolicy().GetDigest() {
		s.PolicyVersion = alg + ":" + hex
	}
	for _, in := range v.GetInputAttestations() {
		for alg, hex := range in.GetDigest() {
			s.Inputs = append(s.Inputs, Input{URI: strings.TrimPrefix(in.GetUri(), "oci://"), Digest: alg + ":" + hex})
		}
	}
	return s, nil
}
