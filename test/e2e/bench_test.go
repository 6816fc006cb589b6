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
	"syscall"
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

// envPolicyTester names sigstore policy-controller's tester, which scripts/install-peers.sh
// builds.
const envPolicyTester = "GATE_POLICY_TESTER"

// cosignRoles are the 7 `cosign verify-attestation` runs the shipped policy's evidence takes:
// one per predicate type and role key.
var cosignRoles = []cosignRun{
	{Role: "ci", PredicateType: attestations.TestResultType},
	{Role: "ci", PredicateType: attestations.CoverageType},
	{Role: "ci", PredicateType: attestations.VulnsType},
	{Role: "ci", PredicateType: attestations.ProvenanceType},
	{Role: "module-lead", PredicateType: attestations.ApprovalType},
	{Role: "qa", PredicateType: attestations.ApprovalType},
	{Role: "sre", PredicateType: attestations.ApprovalType},
}

// side is one way of deciding on the benchmark image, run as processes; it returns how long
// one decision took, from the first exec to the last exit.
type side struct {
	name string
	run  func() time.Duration
}

// TestGateVerifyVsCosignCLI measures, on the distribution registry and one image carrying 7
// attestations written by gate, the wall time of `gate verify` against the cosign CLI doing the
// same verification: one `cosign verify-attestation` per predicate type and role key the policy
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
	c := newCosignSide(w, cosign, opa, digest.DigestStr(), image, pubs)
	sides := []side{
		gateSide(w, image, cfg),
		{"cosign verify-attestation ×7, one after another, + opa eval", func() time.Duration { return c.run(false) }},
		{"cosign verify-attestation ×7, all at once, + opa eval", func() time.Duration { return c.run(true) }},
	}
	header := fmt.Sprintf("registry: distribution v3.1.2 on loopback; evidence written by gate (bundles, fallback tag); %s", cosign.name)
	benchReport(t, header, sides, c.opaNote)
}

// TestGateVerifyVsPeers measures, in one run and on one image, the wall time of a cold
// one-shot decision by gate and by its peers: sigstore policy-controller's tester (one
// ClusterImagePolicy with an authority per role, an attestation policy per predicate type and
// a policy requiring every authority: the shipped policy's gates, in policy-controller's
// terms), and the cosign CLI + opa eval as TestGateVerifyVsCosignCLI runs them. The evidence
// is written by `cosign attest` (cosign v2's legacy .att layout), the only layout the tester
// reads with keys (policy-controller v0.13.1 takes the bundle format from keyless authorities
// alone); gate reads it too. It runs only with GATE_BENCH=1 (scripts/bench-vs-peers.sh).
func TestGateVerifyVsPeers(t *testing.T) {
	requireE2E(t)
	if os.Getenv("GATE_BENCH") != "1" {
		t.Skip("a benchmark: run scripts/bench-vs-peers.sh (GATE_BENCH=1)")
	}
	cosign2, cosign3, opa, tester := cosignV2(t), cosignV3(t), tool(t, envOPA), tool(t, envPolicyTester)
	w := newWorld(t)
	// GATE_BENCH_REGISTRY=referrers runs the comparison on go-containerregistry's registry
	// (referrers API on) instead of the distribution registry (fallback tag).
	r, registryName := (*registryServer)(nil), "distribution v3.1.2"
	if os.Getenv("GATE_BENCH_REGISTRY") == "referrers" {
		r, registryName = startReferrersRegistry(t), "go-containerregistry's registry (referrers API on)"
	} else {
		r = startDistribution(t, "")
	}
	digest := pushImage(t, r.host, "team/app", nil)
	image := digest.String()
	keys, pubs := map[string]string{}, map[string][]string{}
	for _, role := range []string{"ci", "module-lead", "qa", "sre"} {
		key, pub := w.cosignKey(cosign2, role)
		keys[role], pubs[role] = key, []string{pub}
	}
	predicates := []struct{ role, predicateType, file string }{
		{"ci", attestations.TestResultType, w.write("unit.json", reportPredicate(t, unitReport, "unit"))},
		{"ci", attestations.CoverageType, w.write("coverage.json", reportPredicate(t, coverageReport, ""))},
		{"ci", attestations.VulnsType, w.write("vulns.json", reportPredicate(t, trivyReport, ""))},
		{"ci", attestations.ProvenanceType, w.write("provenance.json", provenancePredicate(t))},
	}
	for _, role := range []string{"module-lead", "qa", "sre"} {
		predicates = append(predicates, struct{ role, predicateType, file string }{role, attestations.ApprovalType, w.write(role+"-approval.json", approvalPredicate(t, role, image))})
	}
	for _, p := range predicates {
		if res := w.cosignAttest(cosign2, keys[p.role], p.predicateType, p.file, image); res.code != 0 {
			t.Fatalf("cosign attest:\n%s", res)
		}
	}
	cfg := w.trustConfig(pubs)
	if d, res := w.verify(cfg, image); !d.Allowed || len(d.Evidence) != 7 {
		t.Fatalf("gate must find the benchmark image blessed on 7 attestations:\n%s", res)
	}
	cip := w.write("cip.yaml", []byte(clusterImagePolicy(t, pubs)))
	testerSide := func() time.Duration {
		began := time.Now()
		if res := w.run(tester, "-policy", cip, "-image", image, "-log-level", "error"); res.code != 0 {
			t.Fatalf("policy-controller's tester refused the benchmark image:\n%s", res)
		}
		return time.Since(began)
	}
	// The check is real: without sre's GO the tester refuses, as gate does.
	if res := w.run(tester, "-policy", w.write("cip-strict.yaml", []byte(strings.Replace(clusterImagePolicy(t, pubs), `"sre"`, `"nobody"`, 1))), "-image", image, "-log-level", "error"); res.code == 0 {
		t.Fatalf("policy-controller's tester admitted the image with an approval policy no evidence meets:\n%s", res)
	}
	c := newCosignSide(w, cosign3, opa, digest.DigestStr(), image, pubs)
	sides := []side{
		gateSide(w, image, cfg),
		{"policy-controller tester v0.13.1", testerSide},
		{"cosign verify-attestation ×7, one after another, + opa eval", func() time.Duration { return c.run(false) }},
		{"cosign verify-attestation ×7, all at once, + opa eval", func() time.Duration { return c.run(true) }},
	}
	header := fmt.Sprintf("registry: %s on loopback; evidence written by %s (legacy .att layout); %s", registryName, cosign2.name, cosign3.name)
	benchReport(t, header, sides, c.opaNote)
}

// gateSide is one `gate verify` of image with the trust config cfg.
func gateSide(w *world, image, cfg string) side {
	return side{"gate verify", func() time.Duration {
		began := time.Now()
		if res := w.run(gateBin(w.t), "verify", image, "--config", cfg); res.code != 0 {
			w.t.Fatalf("gate verify:\n%s", res)
		}
		return time.Since(began)
	}}
}

// benchReport runs each side once to warm up (page cache, registry caches), then benchRuns times,
// interleaved, and writes the table for BENCHMARKS.md to the log and to $GATE_BENCH_OUT.
func benchReport(t *testing.T, header string, sides []side, footer func() string) {
	t.Helper()
	times := make([][]time.Duration, len(sides))
	cpus := make([][]time.Duration, len(sides))
	for _, s := range sides {
		s.run()
	}
	for range benchRuns {
		for i, s := range sides {
			before := childrenCPU()
			times[i] = append(times[i], s.run())
			cpus[i] = append(cpus[i], childrenCPU()-before)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %d CPUs (%s), %s/%s; %s; %d runs each, interleaved, after one warm-up\n\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, header, benchRuns)
	fmt.Fprintf(&b, "| what | median | mean | min | max | median ÷ gate's | CPU, median | CPU ÷ gate's |\n|---|---|---|---|---|---|---|---|\n")
	gateMedian, gateCPU := median(times[0]), median(cpus[0])
	for i, s := range sides {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.1f× | %s | %.1f× |\n", s.name, ms(median(times[i])), ms(mean(times[i])), ms(slices.Min(times[i])), ms(slices.Max(times[i])), float64(median(times[i]))/float64(gateMedian),
			ms(median(cpus[i])), float64(median(cpus[i]))/float64(gateCPU))
	}
	b.WriteString("\n(wall: from exec to exit; CPU: user + system of the side's processes, which a busy machine inflates less than wall.)\n")
	fmt.Fprintf(&b, "\n%s\n", footer())
	t.Log("\n" + b.String())
	if out := os.Getenv("GATE_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// childrenCPU is the user and system CPU time of this process's children
// that have exited and been waited for: a side's processes, once it ran.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cosignSide is the cosign CLI deciding as gate does: 7 `cosign verify-attestation` runs, then
// `opa eval` of the shipped policy over what they verified.
type cosignSide struct {
	w             *world
	cosign        cosignCLI
	opa           string
	digest, image string
	runs          []cosignRun
	opaArgs       []string
	opaTimes      []time.Duration
}

func newCosignSide(w *world, cosign cosignCLI, opa, digest, image string, pubs map[string][]string) *cosignSide {
	c := &cosignSide{w: w, cosign: cosign, opa: opa, digest: digest, image: image, runs: slices.Clone(cosignRoles)}
	for i := range c.runs {
		c.runs[i].pub, c.runs[i].Key = pubs[c.runs[i].Role][0], c.runs[i].Role+".pub"
	}
	c.opaArgs = []string{"eval", "--format", "json", "--input", w.path("cosign-output.json"), "--data", w.write("bench.rego", []byte(cosignPolicy)), "--data", w.write("params.json", []byte(`{"gate": {"params": `+e2eData+`}}`))}
	for _, f := range regoFiles(w.t) {
		c.opaArgs = append(c.opaArgs, "--data", f)
	}
	c.opaArgs = append(c.opaArgs, "data.bench.decision.allowed")
	return c
}

// opaNote says what `opa eval` alone took, once the runs are done.
func (c *cosignSide) opaNote() string {
	return fmt.Sprintf("of the cosign side, `opa eval` alone: median %s", ms(median(c.opaTimes)))
}

func (c *cosignSide) run(parallel bool) time.Duration {
	t := c.w.t
	began := time.Now()
	out := make([]result, len(c.runs))
	var wg sync.WaitGroup
	for i, run := range c.runs {
		do := func() { out[i] = c.w.cosignVerify(c.cosign, run.pub, run.PredicateType, c.image) }
		if parallel {
			wg.Go(do)
		} else {
			do()
		}
	}
	wg.Wait()
	for i := range c.runs {
		if out[i].code != 0 {
			t.Fatalf("cosign:\n%s", out[i])
		}
		c.runs[i].Envelopes = nil
		for _, line := range strings.Split(strings.TrimSpace(out[i].stdout), "\n") {
			var env any
			if err := json.Unmarshal([]byte(line), &env); err != nil {
				t.Fatalf("reading cosign's output: %v", err)
			}
			c.runs[i].Envelopes = append(c.runs[i].Envelopes, env)
		}
	}
	in, _ := json.Marshal(map[string]any{"subject": map[string]string{"digest": c.digest, "reference": c.image}, "now": time.Now().UTC().Format(time.RFC3339), "cosign": c.runs})
	c.w.write("cosign-output.json", in)
	res := c.w.run(c.opa, c.opaArgs...)
	c.opaTimes = append(c.opaTimes, res.elapsed)
	if res.code != 0 || !strings.Contains(res.stdout, `"value": true`) {
		t.Fatalf("opa eval did not find the image blessed:\n%s", res)
	}
	return time.Since(began)
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

// testerPolicies are the attestation policies of the ClusterImagePolicy the tester decides
// with: the shipped policy's gates with e2eData's params, one Rego module (policy-controller's
// package sigstore, rule isCompliant) per predicate type, over the verified statement.
var testerPolicies = map[string]string{
	attestations.TestResultType: `input.predicate.result == "PASSED"
	some c in input.predicate.configuration
	c.name == "gate:test-run"
	c.annotations.stage == "unit"`,
	attestations.CoverageType: `input.predicate.percent >= 75`,
	attestations.VulnsType: `every finding in object.get(input.predicate.scanner, "result", []) {
		every s in object.get(finding, "severity", []) {
			not s.score in {"HIGH", "CRITICAL"}
		}
	}`,
	attestations.ProvenanceType: `input.predicate.runDetails.builder.id == "https://ci.example/builder"
	some dep in input.predicate.buildDefinition.resolvedDependencies
	startswith(concat("", [dep.uri, "@"]), "git+https://git.example/app@")`,
	attestations.ApprovalType: `input.predicate.decision == "GO"
	input.predicate.role == ROLE
	time.parse_rfc3339_ns(input.predicate.expiresAt) > time.now_ns()
	time.now_ns() - time.parse_rfc3339_ns(input.predicate.approvedAt) < ((168 * 3600) * 1000) * 1000000`,
}

// testerNames name the ClusterImagePolicy's attestations, one per predicate type.
var testerNames = map[string]string{
	attestations.TestResultType: "tests",
	attestations.CoverageType:   "coverage",
	attestations.VulnsType:      "vulns",
	attestations.ProvenanceType: "provenance",
	attestations.ApprovalType:   "approval",
}

// clusterImagePolicy is a ClusterImagePolicy equivalent to the shipped policy with e2eData's
// params, for the keys in pubs: an authority per role with the attestations that role signs,
// and a CIP-level policy requiring every authority (policy-controller otherwise admits an image
// any one authority vouches for).
func clusterImagePolicy(t *testing.T, pubs map[string][]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: gate-bench\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n")
	var names []string
	for _, role := range []string{"ci", "module-lead", "qa", "sre"} {
		fmt.Fprintf(&b, "  - name: %s\n    key:\n      data: |\n", role)
		for _, line := range strings.Split(strings.TrimSpace(string(readFile(t, pubs[role][0]))), "\n") {
			fmt.Fprintf(&b, "        %s\n", line)
		}
		b.WriteString("    attestations:\n")
		for _, run := range cosignRoles {
			if run.Role != role {
				continue
			}
			name := testerNames[run.PredicateType]
			body := strings.ReplaceAll(testerPolicies[run.PredicateType], "ROLE", `"`+role+`"`)
			fmt.Fprintf(&b, "    - name: %s\n      predicateType: %s\n      policy:\n        type: rego\n        data: |\n", name, run.PredicateType)
			for _, line := range strings.Split("package sigstore\n\nimport rego.v1\n\ndefault isCompliant := false\n\nisCompliant if {\n\tinput.predicateType == \""+run.PredicateType+"\"\n\t"+body+"\n}", "\n") {
				fmt.Fprintf(&b, "          %s\n", strings.ReplaceAll(line, "\t", "  "))
			}
		}
		names = append(names, `"`+role+`"`)
	}
	fmt.Fprintf(&b, "  policy:\n    type: rego\n    data: |\n      package sigstore\n\n      import rego.v1\n\n      default isCompliant := false\n\n      isCompliant if {\n        every a in [%s] {\n          a in object.keys(input.authorityMatches)\n        }\n      }\n", strings.Join(names, ", "))
	return b.String()
}
