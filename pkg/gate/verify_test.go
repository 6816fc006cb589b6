package gate

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/verify"
)

func TestBlessedOnBothRegistryKinds(t *testing.T) {
	for _, tc := range []struct {
		desc         string
		referrersAPI bool
	}{
		{"registry with the OCI referrers API", true},
		{"registry without it: the fallback tag scheme", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, tc.referrersAPI, 1)
			ref, digest := h.image("1.0")
			h.blessedEvidence(ref, "module-lead", "qa", "sre")
			d := h.verify(ref)
			if !d.Allowed {
				t.Fatalf("want blessed, got %+v, rejected %+v", d.Gates, d.Rejected)
			}
			if d.Digest != digest.DigestStr() {
				t.Errorf("decision is about %s, want %s", d.Digest, digest.DigestStr())
			}
			if len(d.Evidence) != 7 || len(d.Rejected) != 0 {
				t.Errorf("want 7 verified and 0 rejected attestations, got %d and %d", len(d.Evidence), len(d.Rejected))
			}
		})
	}
}

func TestRebuiltImageInheritsNothing(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, old := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	rebuilt, _ := h.image("1.0") // same tag, new digest
	if d := h.verify(rebuilt); d.Allowed || len(d.Evidence) != 0 {
		t.Fatalf("rebuilt image: want not blessed on no evidence, got allowed=%v with %d evidence", d.Allowed, len(d.Evidence))
	}
	if d := h.verify(old.String()); !d.Allowed {
		t.Fatalf("the old digest must stay blessed (rollback): %+v", d.Gates)
	}
}

// rejected returns the one rejection of d, failing unless there is exactly one.
func rejected(t *testing.T, d *Decision) Rejected {
	t.Helper()
	if len(d.Rejected) != 1 {
		t.Fatalf("want 1 rejected attestation, got %+v", d.Rejected)
	}
	return d.Rejected[0]
}

func TestAttacksAreRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		desc string
		// attack adds one forged attestation to an image that lacks a GO from qa.
		attack func(h *harness, ref string) error
		want   error
	}{
		{
			desc: "payload changed after signing",
			attack: func(h *harness, ref string) error {
				b, d := h.signedApproval(ref, "qa", "qa")
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					return err
				}
				env := m["dsseEnvelope"].(map[string]any)
				env["payload"] = encodeB64(strings.Replace(decodeB64(env["payload"].(string)), `"reviewed"`, `"rubber-stamped"`, 1))
				b, _ = json.Marshal(m)
				_, err := h.client.Push(ctx, d, b, attestations.ApprovalType)
				return err
			},
			want: verify.ErrUntrustedSigner,
		},
		{
			desc: "signed by a key no role holds",
			attack: func(h *harness, ref string) error {
				b, d := h.signedApproval(ref, "stranger", "qa")
				_, err := h.client.Push(ctx, d, b, attestations.ApprovalType)
				return err
			},
			want: verify.ErrUntrustedSigner,
		},
		{
			desc: "an approval claiming a role its signer does not hold",
			attack: func(h *harness, ref string) error {
				b, d := h.signedApproval(ref, "sre", "qa")
				_, err := h.client.Push(ctx, d, b, attestations.ApprovalType)
				return err
			},
			want: verify.ErrRoleClaim,
		},
		{
			desc: "statement about another digest, stored as a referrer of this one",
			attack: func(h *harness, ref string) error {
				_, other := h.image("other")
				st, _ := attestations.Statement(other.Context().Name(), other.DigestStr(), attestations.ApprovalType, goApproval("qa"))
				b, _ := h.signers["qa"].Sign(st)
				d, err := h.client.Resolve(ctx, ref)
				if err != nil {
					return err
				}
				_, err = h.client.Push(ctx, d, b, attestations.ApprovalType)
				return err
			},
			want: verify.ErrWrongSubject,
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, true, 1)
			ref, _ := h.image("1.0")
			h.blessedEvidence(ref, "module-lead", "sre")
			if err := tc.attack(h, ref); err != nil {
				t.Fatal(err)
			}
			d := h.verify(ref)
			if d.Allowed {
				t.Fatalf("attack admitted: %+v", d.Gates)
			}
			if r := rejected(t, d); !errors.Is(r.Err, tc.want) {
				t.Errorf("rejected for %q, want %v", r.Reason, tc.want)
			}
			if passed, _ := gate(t, d, "approval/qa"); passed {
				t.Error("the forged approval counted toward qa's threshold")
			}
		})
	}
}

func TestQAKeySigningTestResultIsRejected(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	// A failing unit run replaced by a passing one that qa signed: qa may sign approvals only.
	r, err := ReadReport("testdata/unit-pass.jsonl", reportOpts("unit"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(context.Background(), h.client, h.signers["qa"], ref, r.PredicateType, r.Predicate); err != nil {
		t.Fatal(err)
	}
	d := h.verify(ref)
	if rj := rejected(t, d); !errors.Is(rj.Err, verify.ErrRoleNotAllowed) || !strings.Contains(rj.Reason, "qa") {
		t.Fatalf("want a role rejection naming qa, got %q", rj.Reason)
	}
}

func TestUntrustedVulnerabilityReportDoesNotCount(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	// Everything but the scan from ci; a clean scan from a stranger instead.
	h.evidenceButScan(ref)
	r, err := ReadReport("testdata/sl-micro-rancher5.4-no-vulns.json", reportOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(context.Background(), h.client, h.signers["stranger"], ref, r.PredicateType, r.Predicate); err != nil {
		t.Fatal(err)
	}
	d := h.verify(ref)
	if d.Allowed {
		t.Fatal("a clean scan signed by a stranger blessed the image")
	}
	if rj := rejected(t, d); !errors.Is(rj.Err, verify.ErrUntrustedSigner) {
		t.Errorf("want an untrusted-signer rejection, got %q", rj.Reason)
	}
	if passed, _ := gate(t, d, "vulnerabilities"); passed {
		t.Error("vulnerabilities gate passed on an untrusted scan")
	}
}

func TestExpiredApprovalDoesNotCount(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "sre")
	h.approve(ref, "qa", "qa", attestations.DecisionGo, time.Now().Add(-3*time.Hour), time.Hour)
	d := h.verify(ref)
	if d.Allowed {
		t.Fatal("an expired approval blessed the image")
	}
	if passed, reason := gate(t, d, "approval/qa"); passed || !strings.Contains(reason, "expired") {
		t.Errorf("approval/qa: passed=%v reason=%q, want failed for expiry", passed, reason)
	}
}

func TestOneApproverCountsOnce(t *testing.T) {
	h := newHarness(t, true, 2) // sre needs two distinct signers
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	h.approve(ref, "sre", "sre", attestations.DecisionGo, time.Now(), time.Hour) // the same person again
	if d := h.verify(ref); d.Allowed {
		t.Fatal("one sre's two approvals met a threshold of two")
	}
	h.approve(ref, "sre2", "sre", attestations.DecisionGo, time.Now(), time.Hour)
	if d := h.verify(ref); !d.Allowed {
		t.Fatalf("two distinct sre approvals: want blessed, got %+v", d.Gates)
	}
}

func TestNoGoAmongGosBlocks(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	h.approve(ref, "sre2", "sre", attestations.DecisionNoGo, time.Now(), time.Hour)
	d := h.verify(ref)
	if d.Allowed {
		t.Fatal("a NOGO among GOs was admitted")
	}
	if passed, _ := gate(t, d, "nogo"); passed {
		t.Error("nogo gate passed with a NOGO present")
	}
}

func TestFailingTestReportIsNotBlessed(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	h.report(ref, "surefire-TEST-com.shape.CircleTest.xml", "unit")
	d := h.verify(ref)
	if passed, reason := gate(t, d, "tests/unit"); passed || d.Allowed {
		t.Fatalf("a failing unit report: tests/unit passed=%v (%s), allowed=%v", passed, reason, d.Allowed)
	}
}

func TestFetchesOnlyWhatThePolicyUses(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	for i := range 3 { // attestations of a type the policy never reads
		if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, "https://spdx.dev/Document", map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	h.verify(ref) // warm the client's transport: one ping per process
	h.requests.Store(0)
	d := h.verify(ref)
	// 3: resolve the tag (whose answer also says it is no index), list (2).
	if got := h.requests.Load(); got != 3+7 {
		t.Errorf("verify made %d registry requests, want 3 + the 7 bundles the policy needs", got)
	}
	if !d.Allowed || len(d.Evidence) != 7 {
		t.Errorf("want blessed on the 7 needed attestations, got allowed=%v on %d", d.Allowed, len(d.Evidence))
	}
}
