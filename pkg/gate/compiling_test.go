package gate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// summary is what a decision takes from a Gathered: each piece of evidence
// and each rejection, in order.
func summary(g *Gathered) []string {
	var out []string
	for _, e := range g.Evidence {
		out = append(out, fmt.Sprintf("evidence %s %s %s", e.Location, e.PredicateType, e.Signer.Role))
	}
	for _, r := range g.Rejected {
		out = append(out, fmt.Sprintf("rejected %s %s: %s", r.Location, r.PredicateType, r.Reason))
	}
	return out
}

// junkCoverage pushes n referrers of d annotated as coverage, newer than
// the evidence (so read first), each a manifest of about size bytes whose
// layer is no bundle; it returns the path of the first one's layer.
func (h *harness) junkCoverage(d name.Digest, n, size int) string {
	h.t.Helper()
	var first string
	for i := range n {
		l := h.blob(d, []byte(fmt.Sprintf(`{"junk":%d}`, i)), oci.BundleMediaType)
		if first == "" {
			first = "/blobs/" + l.Digest.String()
		}
		h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.CoverageType, map[string]string{
			"org.opencontainers.image.created": time.Now().Add(time.Hour).Format(time.RFC3339),
			"pad":                              strings.Repeat("x", size),
		}), nil)
	}
	return first
}

// gatherCompiling reads while the policy compiles, guessing the types it
// will read from the trust; whatever the guess, what it returns is what
// Gather returns once the types are known: the same evidence and the same
// rejections, in the same order, never an error Gather would not give.
func TestGatherCompilingGathersWhatGatherDoes(t *testing.T) {
	for _, api := range []bool{true, false} {
		for _, tc := range []struct {
			desc string
			// setup adds to a blessed image; it returns a fault for the
			// registry to answer with (nil for none).
			setup func(h *harness, ref string, d name.Digest) func(*http.Request) int
			// types edits the policy's types.
			types func([]string) []string
			// budget, when set, is the read budget for the listing all and
			// the types the guess (guess) and the policy (read) read.
			budget func(all []oci.Attestation, guess, read []string) int64
			// extra is how many more requests the guess may cost.
			extra int
		}{
			{desc: "the guess is the policy's types"},
			{desc: "a type the trust allows, which the policy does not read",
				types: func(ts []string) []string {
					return slices.DeleteFunc(ts, func(t string) bool { return t == attestations.CoverageType })
				}, extra: 1},
			{desc: "a type the policy reads, which nobody may sign (so not guessed)",
				setup: func(h *harness, ref string, d name.Digest) func(*http.Request) int {
					if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, attestations.LoadTestType, map[string]any{"p95": 1}); err != nil {
						h.t.Fatal(err)
					}
					return nil
				},
				types: func(ts []string) []string { return append(ts, attestations.LoadTestType) }},
			{desc: "junk of a type the policy does not read runs the guess out of budget",
				setup: func(h *harness, ref string, d name.Digest) func(*http.Request) int {
					h.junkCoverage(d, 8, 32<<10)
					return nil
				},
				types: func(ts []string) []string {
					return slices.DeleteFunc(ts, func(t string) bool { return t == attestations.CoverageType })
				},
				// Enough for everything the policy reads, not for the guess:
				// the junk (listed first, as newer) leaves too little for
				// half the evidence.
				budget: func(all []oci.Attestation, guess, read []string) int64 {
					bytes := func(types []string) (n int64) {
						for _, a := range pick(all, wanted(all, types)) {
							n += a.ManifestSize
						}
						return n
					}
					return bytes(guess) - bytes(read)/2
				}, extra: 64},
			{desc: "the registry fails on what only the guess reads",
				setup: func(h *harness, ref string, d name.Digest) func(*http.Request) int {
					blob := h.junkCoverage(d, 1, 16)
					return func(r *http.Request) int {
						if strings.HasSuffix(r.URL.Path, blob) {
							return http.StatusForbidden // a fault of the registry, not of the attestation
						}
						return 0
					}
				},
				types: func(ts []string) []string {
					return slices.DeleteFunc(ts, func(t string) bool { return t == attestations.CoverageType })
				}, extra: 64},
		} {
			t.Run(fmt.Sprintf("%s, referrers API %v", tc.desc, api), func(t *testing.T) {
				h := newHarness(t, api, 1)
				ref, d := h.image("1.0")
				h.blessedEvidence(ref, "module-lead", "qa", "sre")
				var fault func(*http.Request) int
				if tc.setup != nil {
					fault = tc.setup(h, ref, d)
				}
				types := h.cfg.Environments["test"].Policy.PredicateTypes()
				if tc.types != nil {
					types = tc.types(types)
				}
				v := NewVerifier(h.client, h.cfg)
				if tc.budget != nil {
					all, err := v.list(context.Background(), d)
					if err != nil {
						t.Fatal(err)
					}
					guess := slices.DeleteFunc(h.cfg.Trust.Types(), func(t string) bool { return slices.Contains(notGuessed, t) })
					v.budget = tc.budget(all, guess, types)
				}
				if fault != nil {
					h.fault.Store(&fault)
				}
				if _, err := v.Gather(context.Background(), d, types); err != nil { // the client's first requests ping
					t.Fatal(err)
				}
				h.requests.Store(0)
				want, err := v.Gather(context.Background(), d, types)
				if err != nil {
					t.Fatal(err)
				}
				plain := h.requests.Swap(0)
				got, err := v.gatherCompiling(context.Background(), d, func() ([]string, error) { return types, nil })
				if err != nil {
					t.Fatalf("gatherCompiling: %v (Gather: none)", err)
				}
				guessed := h.requests.Load()
				if !slices.Equal(summary(got), summary(want)) {
					t.Errorf("gatherCompiling:\n  %s\nGather:\n  %s", strings.Join(summary(got), "\n  "), strings.Join(summary(want), "\n  "))
				}
				if len(want.Evidence) < 6 || want.NotRead() != 0 {
					t.Errorf("setup: want the evidence the policy reads read, got %d and %d unread", len(want.Evidence), want.NotRead())
				}
				if guessed < plain || guessed > plain+int64(tc.extra) {
					t.Errorf("%d requests, Gather %d: want at most %d more", guessed, plain, tc.extra)
				}
			})
		}
	}
}

// A config loaded in the background decides as one loaded at once, and the
// policy's own error, not the registry's, is what Verify reports when the
// policy does not compile.
func TestVerifyWhileThePolicyCompiles(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	nogoRef, _ := h.image("2.0")
	h.blessedEvidence(nogoRef, "module-lead", "qa", "sre")
	h.approve(nogoRef, "qa", "qa", attestations.DecisionNoGo, time.Now().Add(time.Minute), time.Hour)
	path := filepath.Join(h.dir, "gate.yaml")
	for _, r := range []string{ref, nogoRef} {
		bg, err := config.Load(context.Background(), path, config.OnlyEnvironment(""), config.Background())
		if err != nil {
			t.Fatal(err)
		}
		got, err := Verify(context.Background(), h.client, bg, "", r, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := h.verify(r)
		if got.Allowed != want.Allowed || got.PolicyVersion != want.PolicyVersion || fmt.Sprint(got.Gates) != fmt.Sprint(want.Gates) || fmt.Sprint(got.Evidence) != fmt.Sprint(want.Evidence) {
			t.Errorf("%s, policy compiled in the background: allowed %v, gates %v; at once: allowed %v, gates %v", r, got.Allowed, got.Gates, want.Allowed, want.Gates)
		}
	}
	if h.verify(nogoRef).Allowed {
		t.Fatal("setup: a NOGO must deny")
	}

	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "blessed.rego"), []byte("package gate.blessed\n\ndecision := {\"allowed\": true, \"gates\": [x]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.write("gate.yaml", []byte(fmt.Sprintf(testConfig, broken)))
	bg, err := config.Load(context.Background(), path, config.OnlyEnvironment(""), config.Background())
	if err != nil {
		t.Fatalf("Load in the background returns before compiling: %v", err)
	}
	down := func(*http.Request) int { return http.StatusServiceUnavailable }
	h.fault.Store(&down)
	_, err = Verify(context.Background(), h.client, bg, "", ref, time.Now())
	var cerr *config.Error
	if !errors.As(err, &cerr) || cerr.Field != "environments.test.policy" || !strings.Contains(err.Error(), "blessed.rego:3") {
		t.Fatalf("Verify with a policy that does not compile and a registry that is down: %v; want the policy's error, with its file and line", err)
	}
}
