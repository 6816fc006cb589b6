package gate_test

import (
	"context"
	"crypto"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/pkg/verify"
	"github.com/google/go-containerregistry/pkg/name"
)

// verifierKey is a verifier's signing key and a trust that knows it as role verifier, allowed VSAs.
func verifierKey(t *testing.T) (*sign.Signer, *verify.Trust) {
	t.Helper()
	kp, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParseKey(kp.PrivatePEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.NewTrust([]verify.Key{{Name: "verifier.pub", Role: "verifier", PublicKey: crypto.PublicKey(pub)}}, nil, nil,
		map[string][]string{"verifier": {attestations.VSAType}})
	if err != nil {
		t.Fatal(err)
	}
	return s, trust
}

func TestSummaryIsAValidSignedVSAOfTheDecision(t *testing.T) {
	f := admittest.New(t)
	s, trust := verifierKey(t)
	for _, tc := range []struct {
		desc      string
		approvers []string
		result    string
		level     string
	}{
		{"blessed", []string{"module-lead"}, attestations.VSAPassed, "GATE_BLESSED_STAGING"},
		{"not blessed", nil, attestations.VSAFailed, attestations.VSAFailed},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ref, d := f.Image(t, "team/app", strings.ReplaceAll(tc.desc, " ", "-"))
			f.Evidence(t, ref, tc.approvers...)
			dec, err := gate.Verify(context.Background(), f.Client, f.Config, admittest.Staging, ref, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			out, err := gate.Summarize(context.Background(), f.Client, s, dec, "https://ci.example/gate-verifier", true)
			if err != nil {
				t.Fatal(err)
			}
			// Round trip: pkg/verify checks the signature, the subject and the
			// role, and validates the predicate against VSA v1's requirements.
			ev, err := trust.Bundle(out.Bundle, d.DigestStr())
			if err != nil {
				t.Fatalf("verifying the VSA: %v", err)
			}
			if ev.PredicateType != attestations.VSAType || ev.Signer.Role != "verifier" {
				t.Errorf("verified as %s by %+v", ev.PredicateType, ev.Signer)
			}
			raw, err := json.Marshal(ev.Predicate)
			if err != nil {
				t.Fatal(err)
			}
			if err := attestations.Validate(attestations.VSAType, raw); err != nil {
				t.Errorf("VSA does not validate: %v", err)
			}
			var vsa struct {
				Verifier     struct{ ID string } `json:"verifier"`
				TimeVerified time.Time           `json:"timeVerified"`
				ResourceURI  string              `json:"resourceUri"`
				Policy       struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"policy"`
				InputAttestations []struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"inputAttestations"`
				VerificationResult string   `json:"verificationResult"`
				VerifiedLevels     []string `json:"verifiedLevels"`
			}
			if err := json.Unmarshal(raw, &vsa); err != nil {
				t.Fatal(err)
			}
			if vsa.Verifier.ID != "https://ci.example/gate-verifier" || vsa.ResourceURI != "oci://"+d.String() ||
				!vsa.TimeVerified.Equal(dec.Time) {
				t.Errorf("verifier %q, resource %q, time %v", vsa.Verifier.ID, vsa.ResourceURI, vsa.TimeVerified)
			}
			if vsa.Policy.URI != attestations.VSAPolicyURIPrefix+admittest.Staging || "sha256:"+vsa.Policy.Digest["sha256"] != dec.PolicyVersion {
				t.Errorf("policy %+v, want the environment and the policy version %s", vsa.Policy, dec.PolicyVersion)
			}
			if vsa.VerificationResult != tc.result || len(vsa.VerifiedLevels) != 1 || vsa.VerifiedLevels[0] != tc.level {
				t.Errorf("result %s, levels %v; want %s, [%s]", vsa.VerificationResult, vsa.VerifiedLevels, tc.result, tc.level)
			}
			if len(vsa.InputAttestations) != len(dec.Evidence) || len(dec.Evidence) == 0 {
				t.Fatalf("%d input attestations, want the %d the policy saw", len(vsa.InputAttestations), len(dec.Evidence))
			}
			for i, in := range vsa.InputAttestations {
				if "sha256:"+in.Digest["sha256"] != dec.Evidence[i].Location || !strings.HasSuffix(in.URI, "@"+dec.Evidence[i].Location) {
					t.Errorf("input %d is %+v, want %s", i, in, dec.Evidence[i].Location)
				}
			}
			// The VSA is a referrer of the image, read back as evidence.
			vsaRef, err := name.NewDigest(d.Context().Name() + "@" + out.Referrer)
			if err != nil {
				t.Fatal(err)
			}
			all, err := f.Client.ListReferrers(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range all {
				found = found || a.Manifest.String() == vsaRef.DigestStr() && a.PredicateType == attestations.VSAType
			}
			if !found {
				t.Errorf("no VSA referrer %s among %d referrers", out.Referrer, len(all))
			}
		})
	}
}
