package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// benchRuns is how many times each side runs, interleaved, after one warm-up run each.
const benchRuns = 15

// cosignPolicy is the shipped policy evaluated by `opa eval` over what cosign verified: the
// same decision gate makes, given the same evidence. Each cosign run verified one predicate
// type with one role's key, so the role is the key's, as in gate's trust config; an approval
// must claim its signer's role, as gate requires.
const cosignPolicy = `package bench

evidence contains ev if {
	some run in input.cosign
	some envelope in run.envelopes
	st := json.unmarshal(base64.decode(envelope.payload))
	st.predicateType == run.predicateType
	st.subject[_].digest.sha256 == trim_prefix(input.subject.digest, "sha256:")
	object.get(st.predicate, "role", run.role) == run.role
	ev := {"predicateType": st.predicateType, "signer": {"role": run.role, "identity": run.key}, "predicate": st.predicate}
}

policy_input := {"subject": input.subject, "environment": "e2e", "now": input.now, "evidence": [ev | some ev in evidence]}

decision := d if {
	d := data.gate.blessed.decision with input as policy_input
}
`

// cosignRun is one `cosign verify-attestation`: one predicate type, one role's key.
type cosignRun struct {
	Role          string `json:"role"`
	Key           string `json:"key"`
	PredicateType string `json:"predicateType"`
	Envelopes     []any  `json:"envelopes"`
	pub           string // the key file
}

// TestGateVerifyVsCosignCLI measures, on the distribution registry and one image carrying 7
// attestations, the wall time of `gate verify` against the cosign CLI doing the same
// verification: one `cosign verify-attestation` per predicate type and role key the policy
// needs (7), then `opa eval` of the shipped policy over their output. It runs only with
// GATE_BENCH=1 (scripts/bench-vs-cosign.sh), and prints the figures for BENCHMARKS.md.
func TestGateVerifyVsCosignCLI(t *testing.T) {
	requireE2E(t)
	if os.Getenv("GATE_BENCH") != "1" {
		t.Skip("a benchmark: run scripts/bench-vs-cosign.sh (GATE_BENCH=1)")
	}
	cosign, opa := cosignV3(t), tool(t, envOPA)
	w := newWorld(t)
	r := startDistribution(t, "")
	digest := pushImage(t, r.host, "team/app", nil)
	image := digest.String()
	keys, pubs := map[string]string{}, map[string][]string{}
	for _, role := range []string{"ci", "module-lead", "qa", "sre"} {
		key, pub := w.gateKey(role)
		keys[role], pubs[role] = key, []string{pub}
	}
	cfg := w.trustConfig(pubs)
	w.attestAll(image, keys)
	if res := w.run(gateBin(t), "verify", image, "--config", cfg); res.code != 0 {
		t.Fatalf("the benchmark image must be blessed:\n%s", res)
	}

	runs := []cosignRun{
		{Role: "ci", PredicateType: attestations.TestResultType},
		{Role: "ci", PredicateType: attestations.CoverageType},
		{Role: "ci", PredicateType: attestations.VulnsType},
		{Role: "ci", PredicateType: attestations.ProvenanceType},
		{Role: "module-lead", PredicateType: attestations.ApprovalType},
		{Role: "qa", PredicateType: attestations.ApprovalType},
		{Role: "sre", PredicateType: attestations.ApprovalType},
	}
	for i := range runs {
		runs[i].pub, runs[i].Key = pubs[runs[i].Role][0], runs[i].Role+".pub"
	}
	opaArgs := []string{"eval", "--format", "json", "--input", w.path("cosign-output.json"), "--data", w.path("bench.rego"), "--data", w.write("params.json", []byte(`{"gate": {"params": `+e2eData+`}}`))}
	for _, f := range regoFiles(t) {
		opaArgs = append(opaArgs, "--data", f)
	}
	w.write("bench.rego", []byte(cosignPolicy))
	opaArgs = append(opaArgs, "data.bench.decision.allowed")

	gateSide := func() time.Duration {
		began := time.Now()
		if res := w.run(gateBin(t), "verify", image, "--config", cfg); res.code != 0 {
			t.Fatalf("gate verify:\n%s", res)
		}
		return time.Since(began)
	}
	var opaTimes []time.Duration
	cosignSide := func(parallel bool) time.Duration {
		began := time.Now()
		out := make([]result, len(runs))
		var wg sync.WaitGroup
		for i, run := range runs {
			do := func() { out[i] = w.cosignVerify(cosign, run.pub, run.PredicateType, image) }
			if parallel {
				wg.Go(do)
			} else {
				do()
			}
		}
		wg.Wait()
		for i := range runs {
			if out[i].code != 0 {
				t.Fatalf("cosign:\n%s", out[i])
			}
			runs[i].Envelopes = nil
			for _, line := range strings.Split(strings.TrimSpace(out[i].stdout), "\n") {
				var env any
				if err := json.Unmarshal([]byte(line), &env); err != nil {
					t.Fatalf("reading cosign's output: %v", err)
				}
				runs[i].Envelopes = append(runs[i].Envelopes, env)
			}
		}
		in, _ := json.Marshal(map[string]any{"subject": map[string]string{"digest": digest.DigestStr(), "reference": image}, "now": time.Now().UTC().Format(time.RFC3339), "cosign": runs})
		w.write("cosign-output.json", in)
		res := w.run(opa, opaArgs...)
		opaTimes = append(opaTimes, res.elapsed)
		if res.code != 0 || !strings.Contains(res.stdout, `"value": true`) {
			t.Fatalf("opa eval did not find the image blessed:\n%s", res)
		}
		return time.Since(began)
	}

	sides := []struct {
		name string
		run  func() time.Duration
	}{
		{"gate verify", gateSide},
		{"cosign verify-attestation ×7, one after another, + opa eval", func() time.Duration { return cosignSide(false) }},
		{"cosign verify-attestation ×7, all at once, + opa eval", func() time.Duration { return cosignSide(true) }},
	}
	times := make([][]time.Duration, len(sides))
	for _, s := range sides {
		s.run() // warm-up: page cache, registry caches
	}
	for range benchRuns {
		for i, s := range sides {
			times[i] = append(times[i], s.run())
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %d CPUs (%s), %s/%s; registry: distribution v3.1.2 on loopback; %s; %d runs each, interleaved, after one warm-up\n\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, cosign.name, benchRuns)
	fmt.Fprintf(&b, "| what | median | mean | min | max | median ÷ gate's |\n|---|---|---|---|---|---|\n")
	gateMedian := median(times[0])
	for i, s := range sides {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.1f× |\n", s.name, ms(median(times[i])), ms(mean(times[i])), ms(slices.Min(times[i])), ms(slices.Max(times[i])), float64(median(times[i]))/float64(gateMedian))
	}
	fmt.Fprintf(&b, "\nof the cosign side, `opa eval` alone: median %s\n", ms(median(opaTimes)))
	t.Log("\n" + b.String())
	if out := os.Getenv("GATE_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// regoFiles are the shipped policy's .rego files, without its tests.
func regoFiles(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(repoRoot, "policies", "*.rego"))
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(f string) bool { return strings.HasSuffix(f, "_test.rego") })
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func mean(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
