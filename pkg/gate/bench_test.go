package gate

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// BenchmarkVerify verifies an image carrying 7 attestations (tests, scan,
// coverage, provenance and 3 approvals) on the in-process registry, and
// reports, besides time and allocations:
//   - requests/op: registry requests per verify (target ≤ 3 + bundles needed);
//   - cpu-ns/op: CPU time of the whole process (gate and the in-process
//     registry serving it) per verify;
//   - floor-cpu-ns/op: CPU time of the 7 signature verifications alone,
//     measured in the same run; x-floor is the ratio (target ≤ 3);
//   - bundles-cpu-ns/op and policy-cpu-ns/op: the two parts of a verify
//     that are not registry I/O, each measured alone.
func BenchmarkVerify(b *testing.B) {
	benchVerify(b, newHarness(b, true, 1))
}

// BenchmarkVerifyOwnRegistry is BenchmarkVerify with the registry in a
// process of its own (test/e2e/cmd/ociregistry: go-containerregistry's
// registry, the referrers API on), as registries are: cpu-ns/op and x-floor
// are then gate's CPU alone (the client's side of the requests, the bundles,
// the policy, the collector), without the registry's handlers and the server
// side of HTTP, which BenchmarkVerify counts too.
func BenchmarkVerifyOwnRegistry(b *testing.B) {
	benchVerify(b, newHarnessAt(b, startRegistry(b), 1))
}

// startRegistry builds and starts test/e2e/cmd/ociregistry, returning its host:port.
func startRegistry(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "ociregistry")
	build := exec.Command("go", "build", "-o", bin, "./test/e2e/cmd/ociregistry")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the registry: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	host, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		b.Fatalf("the registry did not say where it listens: %q, %v", line, err)
	}
	return host
}

func benchVerify(b *testing.B, h *harness) {
	ref, _ := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	ctx := context.Background()
	if d := h.verify(ref); !d.Allowed || len(d.Evidence) != 7 {
		b.Fatalf("setup: want blessed on 7 attestations, got %v on %d", d.Allowed, len(d.Evidence))
	}
	floor := signatureFloor(b, h, ref)

	h.requests.Store(0)
	start := cpuTime()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d, err := Verify(ctx, h.client, h.cfg, "", ref, time.Now())
		if err != nil || !d.Allowed {
			b.Fatalf("verify: allowed=%v err=%v", d != nil && d.Allowed, err)
		}
	}
	b.StopTimer()
	cpu := float64(cpuTime()-start) / float64(b.N)
	b.ReportMetric(float64(h.requests.Load())/float64(b.N), "requests/op")
	b.ReportMetric(cpu, "cpu-ns/op")
	b.ReportMetric(floor, "floor-cpu-ns/op")
	b.ReportMetric(cpu/floor, "x-floor")
	bundles, pol := breakdown(b, h, ref)
	b.ReportMetric(bundles, "bundles-cpu-ns/op")
	b.ReportMetric(pol, "policy-cpu-ns/op")
}

// breakdown measures, in the same run, two parts of a verify alone: checking
// the 7 bundles (signature, subject, role) and evaluating the policy.
func breakdown(b *testing.B, h *harness, ref string) (bundles, pol float64) {
	ctx := context.Background()
	d, err := h.client.Resolve(ctx, ref)
	if err != nil {
		b.Fatal(err)
	}
	atts, err := h.client.List(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	var raws [][]byte
	for _, a := range atts {
		raw, err := h.client.Fetch(ctx, d, a)
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
	}
	const rounds = 200
	start := cpuTime()
	for range rounds {
		for _, raw := range raws {
			if _, err := h.cfg.Trust.Bundle(raw, d.DigestStr()); err != nil {
				b.Fatal(err)
			}
		}
	}
	bundles = float64(cpuTime()-start) / rounds
	dec := h.verify(ref)
	e, err := h.cfg.Environment("")
	if err != nil {
		b.Fatal(err)
	}
	start = cpuTime()
	for range rounds {
		if _, err := e.Policy.Evaluate(ctx, *dec.Input); err != nil {
			b.Fatal(err)
		}
	}
	return bundles, float64(cpuTime()-start) / rounds
}

// signatureFloor returns the CPU time of verifying the 7 attestations'
// signatures alone: SHA-256 and ECDSA over each DSSE envelope's PAE, nothing
// else.
func signatureFloor(b *testing.B, h *harness, ref string) float64 {
	ctx := context.Background()
	d, err := h.client.Resolve(ctx, ref)
	if err != nil {
		b.Fatal(err)
	}
	atts, err := h.client.List(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	type sig struct {
		key *ecdsa.PublicKey
		pae []byte
		sig []byte
	}
	var sigs []sig
	for _, a := range atts {
		raw, err := h.client.Fetch(ctx, d, a)
		if err != nil {
			b.Fatal(err)
		}
		var bundle struct {
			DSSE struct {
				Payload     []byte `json:"payload"`
				PayloadType string `json:"payloadType"`
				Signatures  []struct {
					Sig []byte `json:"sig"`
				} `json:"signatures"`
			} `json:"dsseEnvelope"`
		}
		if err := json.Unmarshal(raw, &bundle); err != nil {
			b.Fatal(err)
		}
		pae := dsse.PAE(bundle.DSSE.PayloadType, bundle.DSSE.Payload)
		sum := sha256.Sum256(pae)
		var key *ecdsa.PublicKey
		for _, s := range h.signers {
			pub, _ := s.PublicKey()
			if ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], bundle.DSSE.Signatures[0].Sig) {
				key = pub.(*ecdsa.PublicKey)
			}
		}
		if key == nil {
			b.Fatal("floor: no key verifies an attestation")
		}
		sigs = append(sigs, sig{key, pae, bundle.DSSE.Signatures[0].Sig})
	}
	if len(sigs) != 7 {
		b.Fatalf("floor: want 7 signatures, got %d", len(sigs))
	}
	const rounds = 2000
	start := cpuTime()
	for range rounds {
		for _, s := range sigs {
			sum := sha256.Sum256(s.pae)
			if !ecdsa.VerifyASN1(s.key, sum[:], s.sig) {
				b.Fatal("floor: signature stopped verifying")
			}
		}
	}
	return float64(cpuTime()-start) / rounds
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
