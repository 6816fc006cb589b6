package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// verifierID is the --verifier-id the tests sign their VSAs as.
const verifierID = "https://ci.example/gate-verifier"

// vsaDecision is as much of `gate verify --output json` as a VSA summarizes.
type vsaDecision struct {
	Digest        string `json:"digest"`
	Allowed       bool   `json:"allowed"`
	Environment   string `json:"environment"`
	PolicyVersion string `json:"policyVersion"`
	Evidence      []struct {
		Location string `json:"location"`
	} `json:"evidence"`
}

// Issue 13: a VSA that `gate verify --attest-vsa` pushes, `cosign verify-attestation --type
// https://slsa.dev/verification_summary/v1` (v3, and v2 reading bundles) verifies with the
// verifier's key on both registries, and prints a statement whose predicate is that VSA, valid
// under in-toto's VSA v1 binding read strictly. cosign verifies a signature, not a blessing: the
// VSA of a denial verifies too, and says FAILED. Another key is refused.
func TestGateVSAPassesCosignVerify(t *testing.T) {
	requireE2E(t)
	clis := []cosignCLI{cosignV3(t), cosignV2(t)}
	for _, reg := range registryKinds {
		t.Run(reg.desc, func(t *testing.T) {
			w := newWorld(t)
			r := reg.start(t)
			gate := gateBin(t)
			keys, pubs := map[string]string{}, map[string][]string{}
			for _, role := range []string{"ci", "module-lead", "qa", "sre"} {
				key, pub := w.gateKey(role)
				keys[role], pubs[role] = key, []string{pub}
			}
			verifierKey, verifierPub := w.gateKey("verifier")
			_, strangerPub := w.gateKey("stranger")
			cfg := w.trustConfig(pubs)

			blessed := pushImage(t, r.host, "team/app", nil).String()
			w.attestAll(blessed, keys)
			denied := pushImage(t, r.host, "team/other", nil).String()
			w.must(gate, "attest", denied, "--key", keys["ci"], "--report", unitReport, "--stage", "unit")

			for _, tc := range []struct {
				desc, image, result, level string
				exit                       int
			}{
				{"blessed", blessed, attestations.VSAPassed, attestations.VSABlessedLevelPrefix + "E2E", 0},
				{"not blessed", denied, attestations.VSAFailed, attestations.VSAFailed, 1},
			} {
				t.Run(tc.desc, func(t *testing.T) {
					res := w.run(gate, "verify", tc.image, "--config", cfg, "--output", "json",
						"--attest-vsa", "--key", verifierKey, "--verifier-id", verifierID)
					if res.code != tc.exit {
						t.Fatalf("gate verify --attest-vsa: want exit %d:\n%s", tc.exit, res)
					}
					var d vsaDecision
					if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
						t.Fatalf("reading the decision: %v\n%s", err, res)
					}
					if len(d.Evidence) == 0 || d.Environment != "e2e" || !strings.HasPrefix(d.PolicyVersion, "sha256:") {
						t.Fatalf("the decision has no evidence, environment or policy version to summarize:\n%s", res)
					}
					for _, c := range clis {
						t.Run(c.name, func(t *testing.T) {
							res := w.cosignVerify(c, verifierPub, attestations.VSAType, tc.image)
							if res.code != 0 {
								t.Fatalf("cosign refused gate's VSA:\n%s", res)
							}
							sts := verifiedStatements(t, res)
							if len(sts) != 1 {
								t.Fatalf("cosign verified %d statements, want the 1 VSA:\n%s", len(sts), res)
							}
							st := sts[0]
							if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != attestations.VSAType {
								t.Errorf("cosign verified a %s of %s, want a v1 statement of %s", st.Type, st.PredicateType, attestations.VSAType)
							}
							if len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != d.Digest {
								t.Errorf("statement is about %+v, want %s", st.Subject, d.Digest)
							}
							checkVSA(t, st.Predicate, tc.image, d, tc.result, tc.level)
						})
					}
				})
			}
			// The check is real: cosign refuses the VSA with a key that did not sign it.
			for _, c := range clis {
				t.Run(c.name+" refuses another key", func(t *testing.T) {
					if res := w.cosignVerify(c, strangerPub, attestations.VSAType, blessed); res.code == 0 {
						t.Fatalf("cosign accepted the verifier's VSA with another key:\n%s", res)
					}
				})
			}
		})
	}
}

// checkVSA asserts raw, the predicate cosign printed, is a VSA v1 as a strict reader sees it
// (in-toto's binding, protojson refusing unknown fields; the binding has no Validate, so gate's,
// which checks what the spec requires) and says what gate decided about image.
func checkVSA(t *testing.T, raw []byte, image string, d vsaDecision, result, level string) {
	t.Helper()
	var v vsav1.VerificationSummary
	if err := protojson.Unmarshal(raw, &v); err != nil {
		t.Fatalf("the predicate is not a VSA v1 to in-toto's binding: %v\n%s", err, raw)
	}
	if err := attestations.Validate(attestations.VSAType, raw); err != nil {
		t.Errorf("the predicate does not validate as a VSA v1: %v", err)
	}
	if v.GetVerifier().GetId() != verifierID || v.GetResourceUri() != "oci://"+image || v.GetTimeVerified() == nil {
		t.Errorf("verifier %q, resourceUri %q, timeVerified %v; want %s, oci://%s and a time", v.GetVerifier().GetId(), v.GetResourceUri(), v.GetTimeVerified(), verifierID, image)
	}
	if v.GetVerificationResult() != result || !slices.Equal(v.GetVerifiedLevels(), []string{level}) {
		t.Errorf("verificationResult %q, verifiedLevels %v; want %s, [%s]", v.GetVerificationResult(), v.GetVerifiedLevels(), result, level)
	}
	if v.GetPolicy().GetUri() != attestations.VSAPolicyURIPrefix+d.Environment || "sha256:"+v.GetPolicy().GetDigest()["sha256"] != d.PolicyVersion {
		t.Errorf("policy %v, want %s%s with digest %s", v.GetPolicy(), attestations.VSAPolicyURIPrefix, d.Environment, d.PolicyVersion)
	}
	repo, _, _ := strings.Cut(image, "@")
	var got, want []string
	for _, in := range v.GetInputAttestations() {
		got = append(got, in.GetUri()+" "+in.GetDigest()["sha256"])
	}
	for _, e := range d.Evidence {
		want = append(want, "oci://"+repo+"@"+e.Location+" "+strings.TrimPrefix(e.Location, "sha256:"))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("inputAttestations %v, want the %d attestations gate's policy saw: %v", got, len(want), want)
	}
}
