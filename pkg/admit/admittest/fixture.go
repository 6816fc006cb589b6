// Package admittest mints real evidence for tests of admission: an in-process registry with the
// OCI referrers API, ECDSA keys for the roles ci, module-lead, qa and sre, a trust config over
// gate's shipped policy, and images that are blessed or not, attested from real tools' reports.
package admittest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/gatehq/gate/pkg/report"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/gatehq/gate/policies"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Roles are the roles the fixture's trust config knows, each with one key.
var Roles = []string{"ci", "module-lead", "qa", "sre"}

// Environments of the fixture's trust config: production wants every gate and a GO from
// module-lead, qa and sre; staging wants unit tests and a GO from module-lead.
const (
	Production = "production"
	Staging    = "staging"
)

const trustConfig = `roles:
  ci:          {keys: [ci.pub], maySign: [tests, vulns, cosignvuln, coverage, provenance]}
  module-lead: {keys: [module-lead.pub], maySign: [approval]}
  qa:          {keys: [qa.pub], maySign: [approval]}
  sre:         {keys: [sre.pub], maySign: [approval]}
environments:
  production: {policy: policies, data: production.json}
  staging:    {policy: policies, data: staging.json}
defaultEnvironment: production
`

const (
	builder = "https://ci.example/builder"
	source  = "git+https://git.example/app"
)

var policyData = map[string]string{
	"production.json": `{"required_tests": ["unit"], "min_coverage": 75, "deny_severity": "HIGH",
  "provenance": {"builders": ["` + builder + `"], "sources": ["` + source + `"]},
  "approvals": {"module-lead": 1, "qa": 1, "sre": 1}, "max_approval_age": "168h"}`,
	"staging.json": `{"required_tests": ["unit"], "approvals": {"module-lead": 1}, "max_approval_age": "168h"}`,
}

// Fixture is a registry holding images and their evidence, and the trust config that decides them.
type Fixture struct {
	// Host is the registry's host:port on loopback.
	Host string
	// Dir holds ConfigPath, the public keys and a copy of the shipped policy.
	Dir        string
	ConfigPath string
	Config     *config.Config
	// Client reaches the registry, counting requests in Requests.
	Client *oci.Client
	// Requests counts registry requests about images (not the /v2/ ping).
	Requests atomic.Int64

	server  *httptest.Server
	signers map[string]*sign.Signer
	delay   atomic.Int64 // nanoseconds added to every registry response
	auth    atomic.Pointer[[2]string]
	observe atomic.Pointer[func(*http.Request) func()]
}

// New starts a registry and writes the keys and trust config; everything stops with the test.
func New(t testing.TB) *Fixture { t.Helper(); return newFixture(t, true) }

// NewWithoutReferrersAPI is New with a registry that has no referrers API,
// as distribution's: referrers live under the OCI fallback tag scheme.
func NewWithoutReferrersAPI(t testing.TB) *Fixture { t.Helper(); return newFixture(t, false) }

func newFixture(t testing.TB, referrersAPI bool) *Fixture {
	t.Helper()
	f := &Fixture{Dir: t.TempDir(), signers: map[string]*sign.Signer{}}
	reg := registry.New(registry.WithReferrersSupport(referrersAPI), registry.Logger(log.New(io.Discard, "", 0)))
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			f.Requests.Add(1)
		}
		if a := f.auth.Load(); a != nil {
			if u, p, ok := r.BasicAuth(); !ok || u != a[0] || p != a[1] {
				w.Header().Set("WWW-Authenticate", `Basic realm="admittest"`)
				http.Error(w, "credentials required", http.StatusUnauthorized)
				return
			}
		}
		if obs := f.observe.Load(); obs != nil {
			defer (*obs)(r)()
		}
		if d := time.Duration(f.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(f.server.Close)
	f.Host = strings.TrimPrefix(f.server.URL, "http://")
	f.Client = oci.NewClient()
	for _, role := range Roles {
		pub, s, err := newKey()
		if err != nil {
			t.Fatal(err)
		}
		f.signers[role] = s
		f.write(t, role+".pub", pub)
	}
	sub, err := fs.Sub(policies.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(f.Dir, "policies"), sub); err != nil {
		t.Fatalf("copying the shipped policy: %v", err)
	}
	for file, data := range policyData {
		f.write(t, file, []byte(data))
	}
	f.write(t, "gate.yaml", []byte(trustConfig))
	f.ConfigPath = filepath.Join(f.Dir, "gate.yaml")
	if f.Config, err = config.Load(context.Background(), f.ConfigPath); err != nil {
		t.Fatal(err)
	}
	return f
}

func newKey() (pubPEM []byte, s *sign.Signer, err error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, nil, err
	}
	if s, err = sign.NewSigner(sv); err != nil {
		return nil, nil, err
	}
	pubPEM, err = cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	return pubPEM, s, err
}

func (f *Fixture) write(t testing.TB, file string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.Dir, file), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Stop stops the registry: every later request is refused at connect.
func (f *Fixture) Stop() { f.server.Close() }

// Slow delays every registry response by d (0: no delay), as an overloaded registry would.
func (f *Fixture) Slow(d time.Duration) { f.delay.Store(int64(d)) }

// RequireBasicAuth makes the registry refuse every request without these credentials, as a
// private registry does; an empty user opens it again. The fixture's own Client has no
// credentials: bless images before.
func (f *Fixture) RequireBasicAuth(user, password string) {
	if user == "" {
		f.auth.Store(nil)
		return
	}
	f.auth.Store(&[2]string{user, password})
}

// Observe calls fn as each registry request starts, and the function it returns as it ends.
func (f *Fixture) Observe(fn func(*http.Request) func()) { f.observe.Store(&fn) }

// Image pushes a new random image as host/repo:tag and returns its tag reference and digest.
func (f *Fixture) Image(t testing.TB, repo, tag string) (string, name.Digest) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(f.Host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.String(), ref.Context().Digest(d.String())
}

// Evidence attests what a pipeline leaves about ref (unit tests, coverage, a scan with no
// vulnerabilities, provenance from the trusted builder) and a GO from each of approvers.
func (f *Fixture) Evidence(t testing.TB, ref string, approvers ...string) {
	t.Helper()
	for _, r := range []struct{ file, stage string }{
		{"unit-pass.jsonl", "unit"}, {"go-chi.cover", ""}, {"sl-micro-rancher5.4-no-vulns.json", ""},
	} {
		rep, err := gate.ReadReport(filepath.Join(testdata(), r.file), report.Options{Stage: r.stage})
		if err != nil {
			t.Fatal(err)
		}
		f.attest(t, ref, rep.PredicateType, rep.Predicate)
	}
	p, err := attestations.Provenance(attestations.Build{BuilderID: builder, BuildType: "https://ci.example/type", Source: source, Commit: "6f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"})
	if err != nil {
		t.Fatal(err)
	}
	f.attest(t, ref, attestations.ProvenanceType, p)
	for _, role := range approvers {
		f.Approve(t, ref, role, attestations.DecisionGo)
	}
}

// Bless attests everything production asks for.
func (f *Fixture) Bless(t testing.TB, ref string) { f.Evidence(t, ref, "module-lead", "qa", "sre") }

// Approve signs role's decision (GO or NOGO) about ref, valid for a day.
func (f *Fixture) Approve(t testing.TB, ref, role, decision string) {
	t.Helper()
	a := gate.Approval{Role: role, Decision: decision, Reason: "reviewed by " + role, Expires: 24 * time.Hour}
	if _, err := gate.Approve(context.Background(), f.Client, f.signers[role], ref, a, time.Now()); err != nil {
		t.Fatalf("approving %s as %s: %v", ref, role, err)
	}
}

func (f *Fixture) attest(t testing.TB, ref, predicateType string, predicate any) {
	t.Helper()
	if _, err := gate.Attest(context.Background(), f.Client, f.signers["ci"], ref, predicateType, predicate); err != nil {
		t.Fatalf("attesting %s to %s: %v", predicateType, ref, err)
	}
}

// BlessMany pushes n images into repo and blesses each, in parallel, returning their digest references.
func (f *Fixture) BlessMany(t testing.TB, repo string, n int) []string {
	t.Helper()
	refs := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range refs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tag, d := f.Image(t, repo, fmt.Sprintf("v%d", i))
			f.Bless(t, tag)
			refs[i] = d.String()
		})
	}
	wg.Wait()
	return refs
}

// testdata is pkg/gate's corpus of real reports from real tools.
func testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "gate", "testdata")
}
