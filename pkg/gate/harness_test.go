package gate

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// harness is a real in-process registry (ggr's), real keys in cosign's
// format, and a trust config over the shipped policy, as a user sets them up.
type harness struct {
	t        testing.TB
	host     string
	dir      string
	client   *oci.Client
	requests atomic.Int64
	read     atomic.Int64 // response body bytes the client read
	// referrersAPI says whether the registry keeps referrers lists itself.
	referrersAPI bool
	// fault, when set, answers a request instead of the registry (nil: pass it on).
	fault   atomic.Pointer[func(*http.Request) int]
	signers map[string]*sign.Signer // by key name: ci, module-lead, qa, sre, sre2, stranger
	cfg     *config.Config
}

// testData configures the shipped policy: every gate on.
const testData = `{
  "required_tests": ["unit"],
  "min_coverage": 75,
  "deny_severity": "HIGH",
  "provenance": {"builders": ["https://ci.example/builder"], "sources": ["git+https://git.example/app"]},
  "approvals": {"module-lead": 1, "qa": 1, "sre": %d},
  "max_approval_age": "168h"
}`

const testConfig = `roles:
  ci:
    keys: [ci.pub]
    maySign: [tests, vulns, cosignvuln, coverage, provenance]
  module-lead:
    keys: [module-lead.pub]
    maySign: [approval]
  qa:
    keys: [qa.pub]
    maySign: [approval]
  sre:
    keys: [sre.pub, sre2.pub]
    maySign: [approval]
environments:
  test:
    policy: %s
    data: data.json
defaultEnvironment: test
`

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
	read *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	resp, err := c.next.RoundTrip(r)
	if err == nil && c.read != nil {
		resp.Body = &countingBody{resp.Body, c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func newHarness(t testing.TB, referrersAPI bool, sreThreshold int) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), signers: map[string]*sign.Signer{}, referrersAPI: referrersAPI}
	reg := registry.New(registry.WithReferrersSupport(referrersAPI), registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := h.fault.Load(); f != nil {
			if code := (*f)(r); code != 0 {
				w.WriteHeader(code)
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return h.setUp(strings.TrimPrefix(srv.URL, "http://"), sreThreshold)
}

// newHarnessAt is newHarness on the registry at host, one with the referrers
// API that the harness does not serve (and so cannot fault).
func newHarnessAt(t testing.TB, host string, sreThreshold int) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), signers: map[string]*sign.Signer{}, referrersAPI: true}
	return h.setUp(host, sreThreshold)
}

// setUp points h at the registry at host and writes its keys and config.
func (h *harness) setUp(host string, sreThreshold int) *harness {
	t := h.t
	t.Helper()
	h.host = host
	h.client = oci.NewClient(oci.WithTransport(countingTransport{remote.DefaultTransport, &h.requests, &h.read}))
	for name, k := range testKeys(t) {
		h.write(name+".pub", k.pub)
		h.signers[name] = k.signer
	}
	policyDir, err := filepath.Abs("../../policies")
	if err != nil {
		t.Fatal(err)
	}
	h.write("gate.yaml", []byte(fmt.Sprintf(testConfig, policyDir)))
	h.write("data.json", []byte(fmt.Sprintf(testData, sreThreshold)))
	if h.cfg, err = config.Load(context.Background(), filepath.Join(h.dir, "gate.yaml")); err != nil {
		t.Fatal(err)
	}
	return h
}

// reload reads gate.yaml and its data again, after a test rewrote them.
func (h *harness) reload() {
	h.t.Helper()
	var err error
	if h.cfg, err = config.Load(context.Background(), filepath.Join(h.dir, "gate.yaml")); err != nil {
		h.t.Fatal(err)
	}
}

type testKey struct {
	pub, priv []byte // priv is encrypted with "pw"
	signer    *sign.Signer
}

var (
	keysOnce sync.Once
	keys     map[string]testKey
	keysErr  error
)

// testKeys makes the test keys once per run: cosign's key encryption is
// scrypt, slow on purpose, and every test needs the same six roles' keys.
func testKeys(t testing.TB) map[string]testKey {
	keysOnce.Do(func() {
		keys = map[string]testKey{}
		for _, k := range []string{"ci", "module-lead", "qa", "sre", "sre2", "stranger"} {
			kp, err := sign.GenerateKeyPair([]byte("pw"))
			if err != nil {
				keysErr = err
				return
			}
			s, err := sign.ParseKey(kp.PrivatePEM, []byte("pw"))
			if err != nil {
				keysErr = err
				return
			}
			keys[k] = testKey{pub: kp.PublicPEM, priv: kp.PrivatePEM, signer: s}
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

func (h *harness) write(name string, data []byte) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), data, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// image pushes a new random image and returns its tag reference and digest.
func (h *harness) image(tag string) (string, name.Digest) {
	h.t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		h.t.Fatal(err)
	}
	ref, err := name.NewTag(h.host + "/team/app:" + tag)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		h.t.Fatal(err)
	}
	d, _ := img.Digest()
	return ref.String(), ref.Context().Digest(d.String())
}

// report attests a real report from the shared corpus, as the ci role.
func (h *harness) report(ref, file, stage string) {
	h.t.Helper()
	r, err := ReadReport(filepath.Join("testdata", file), report.Options{Stage: stage})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, r.PredicateType, r.Predicate); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) approve(ref, key, role, decision string, now time.Time, expires time.Duration) {
	h.t.Helper()
	a := Approval{Role: role, Decision: decision, Reason: "reviewed", Expires: expires}
	if _, err := Approve(context.Background(), h.client, h.signers[key], ref, a, now); err != nil {
		h.t.Fatal(err)
	}
}

// blessedEvidence attests everything the test policy asks for, so a test can
// take one thing away (or add one attack) and see the decision change.
func (h *harness) blessedEvidence(ref string, approvers ...string) {
	h.t.Helper()
	h.report(ref, "unit-pass.jsonl", "unit")
	h.report(ref, "go-chi.cover", "")
	h.report(ref, "sl-micro-rancher5.4-no-vulns.json", "")
	h.provenance(ref)
	for _, key := range approvers {
		role := strings.TrimSuffix(key, "2")
		h.approve(ref, key, role, attestations.DecisionGo, time.Now(), 24*time.Hour)
	}
}

// evidenceButScan attests everything the test policy asks for but a scan,
// with one GO from each role, for tests that bring a scan of their own.
func (h *harness) evidenceButScan(ref string) {
	h.t.Helper()
	h.report(ref, "unit-pass.jsonl", "unit")
	h.report(ref, "go-chi.cover", "")
	h.provenance(ref)
	for _, role := range []string{"module-lead", "qa", "sre"} {
		h.approve(ref, role, role, attestations.DecisionGo, time.Now(), time.Hour)
	}
}

func (h *harness) provenance(ref string) {
	h.t.Helper()
	p, err := attestations.Provenance(attestations.Build{BuilderID: "https://ci.example/builder", BuildType: "https://ci.example/type", Source: "git+https://git.example/app", Commit: "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := Attest(context.Background(), h.client, h.signers["ci"], ref, attestations.ProvenanceType, p); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) verify(ref string) *Decision {
	h.t.Helper()
	d, err := Verify(context.Background(), h.client, h.cfg, "", ref, time.Now())
	if err != nil {
		h.t.Fatalf("Verify(%s): %v", ref, err)
	}
	return d
}

// gate returns the named gate of d, failing the test if the policy has none.
func gate(t testing.TB, d *Decision, name string) (passed bool, reason string) {
	t.Helper()
	for _, g := range d.Gates {
		if g.Name == name {
			return g.Passed, g.Reason
		}
	}
	t.Fatalf("decision has no gate %q: %+v", name, d.Gates)
	return false, ""
}
