package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Issue item 1: what `gate attest` writes, `cosign verify-attestation` accepts.
func TestGateAttestationsPassCosignVerify(t *testing.T) {
	requireE2E(t)
	clis := []cosignCLI{cosignV3(t), cosignV2(t)}
	for _, reg := range registryKinds {
		t.Run(reg.desc, func(t *testing.T) {
			w := newWorld(t)
			r := reg.start(t)
			image := pushImage(t, r.host, "team/app", nil).String()
			ciKey, ciPub := w.gateKey("ci")
			qaKey, qaPub := w.gateKey("qa")
			w.must(gateBin(t), "attest", image, "--key", ciKey, "--report", unitReport, "--stage", "unit")
			w.must(gateBin(t), "approve", image, "--key", qaKey, "--role", "qa", "--decision", "go", "--reason", "e2e")
			digest := image[strings.Index(image, "@")+1:]
			for _, c := range clis {
				for _, tc := range []struct {
					pub, predicateType string
				}{
					{ciPub, attestations.TestResultType},
					{qaPub, attestations.ApprovalType},
				} {
					t.Run(fmt.Sprintf("%s %s", c.name, tc.predicateType), func(t *testing.T) {
						res := w.cosignVerify(c, tc.pub, tc.predicateType, image)
						if res.code != 0 {
							t.Fatalf("cosign refused gate's attestation:\n%s", res)
						}
						sts := verifiedStatements(t, res)
						if len(sts) != 1 {
							t.Fatalf("cosign verified %d statements, want 1:\n%s", len(sts), res)
						}
						st := sts[0]
						if st.PredicateType != tc.predicateType || st.Type != "https://in-toto.io/Statement/v1" {
							t.Errorf("cosign verified a %s %s, want a v1 statement of %s", st.Type, st.PredicateType, tc.predicateType)
						}
						if len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != digest {
							t.Errorf("statement is about %+v, want %s", st.Subject, digest)
						}
					})
				}
				// The check is real: the same attestation with another key is refused.
				t.Run(c.name+" refuses the wrong key", func(t *testing.T) {
					if res := w.cosignVerify(c, qaPub, attestations.TestResultType, image); res.code == 0 {
						t.Fatalf("cosign accepted ci's attestation with qa's key:\n%s", res)
					}
				})
			}
		})
	}
}

// Issue item 2: what `cosign attest` writes (v2: the legacy .att layout; v3: bundle
// referrers), `gate verify` accepts when the key is trusted for that predicate type, and
// rejects, naming why, when it is not.
func TestCosignAttestationsPassGateVerify(t *testing.T) {
	requireE2E(t)
	clis := []cosignCLI{cosignV2(t), cosignV3(t)}
	for _, reg := range registryKinds {
		for _, cli := range clis {
			t.Run(reg.desc+"/"+cli.name, func(t *testing.T) {
				w := newWorld(t)
				r := reg.start(t)
				image := pushImage(t, r.host, "team/app", nil).String()
				_, ciPub := w.gateKey("ci")
				qaKey, qaPub := w.cosignKey(cli, "qa")
				strangerKey, strangerPub := w.cosignKey(cli, "stranger")
				cfg := w.trustConfig(map[string][]string{"ci": {ciPub}, "qa": {qaPub}})
				approval := w.write("approval.json", approvalPredicate(t, "qa", image))
				source := "referrer"
				if !cli.v3 {
					source = "legacy-cosign"
				}
				for _, key := range []string{qaKey, strangerKey} {
					if res := w.cosignAttest(cli, key, attestations.ApprovalType, approval, image); res.code != 0 {
						t.Fatalf("cosign attest:\n%s", res)
					}
				}
				// qa's key may sign approvals; it may not sign test results.
				if res := w.cosignAttest(cli, qaKey, attestations.TestResultType, w.write("tests.json", []byte(`{"result":"PASSED","configuration":[{"name":"gate:test-run","annotations":{"stage":"unit","total":1,"passed":1}}]}`)), image); res.code != 0 {
					t.Fatalf("cosign attest:\n%s", res)
				}

				d, res := w.verify(cfg, image)
				if len(d.Evidence) != 1 {
					t.Fatalf("want exactly qa's approval as evidence, got %+v\n%s", d.Evidence, res)
				}
				if ev := d.Evidence[0]; ev.Source != source || ev.PredicateType != attestations.ApprovalType || ev.Signer.Role != "qa" {
					t.Errorf("evidence %+v: want qa's approval from the %s layout", ev, source)
				}
				if passed, reason := gatePassed(d, "approval/qa"); !passed {
					t.Errorf("gate approval/qa failed on cosign's approval: %s", reason)
				}
				wantRejected := map[string]string{
					"not signed by any trusted key": attestations.ApprovalType,
					"may not sign":                  attestations.TestResultType,
				}
				if cli.v3 { // a bundle names its key by hint; the legacy envelope names none
					wantRejected[fmt.Sprintf("key hint %q", keyHint(t, strangerPub))] = attestations.ApprovalType
				}
				for want, pt := range wantRejected {
					if !rejectedFor(d, pt, want) {
						t.Errorf("want a rejection of a %s saying %q, got %+v", pt, want, d.Rejected)
					}
				}
				if len(d.Rejected) != 2 {
					t.Errorf("want 2 rejected attestations (the stranger's, qa's test result), got %+v", d.Rejected)
				}
			})
		}
	}
}

func approvalPredicate(t *testing.T, role, image string) []byte {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(attestations.Approval{Decision: attestations.DecisionGo, Role: role, Reason: "signed with cosign", ApprovedAt: now, ExpiresAt: now.Add(24 * time.Hour), Reviewed: image})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gatePassed(d decision, name string) (bool, string) {
	for _, g := range d.Gates {
		if g.Name == name {
			return g.Passed, g.Reason
		}
	}
	return false, "no such gate"
}

func rejectedFor(d decision, predicateType, reason string) bool {
	for _, r := range d.Rejected {
		if (r.PredicateType == predicateType || r.PredicateType == "") && strings.Contains(r.Reason, reason) {
			return true
		}
	}
	return false
}

// keyHint is how a bundle names the key that signed it.
func keyHint(t *testing.T, pubFile string) string {
	t.Helper()
	pem := readFile(t, pubFile)
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	h, err := sign.KeyHint(pub)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
