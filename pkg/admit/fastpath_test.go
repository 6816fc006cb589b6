package admit_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/freeze"
	"github.com/gatehq/gate/pkg/gate"
	"github.com/gatehq/gate/pkg/record"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// notBlessed pushes an image whose full verification denies it in production (no GO from sre)
// and returns its tag and digest, with production's full decision about it.
func notBlessed(t *testing.T, f *admittest.Fixture, tag string) (string, name.Digest, *gate.Decision) {
	t.Helper()
	ref, d := f.Image(t, "shop/app", tag)
	f.Evidence(t, ref, "module-lead", "qa")
	dec := f.Decide(t, admittest.Production, ref)
	if dec.Allowed {
		t.Fatal("the fixture blesses an image without sre's GO: the tests below would prove nothing")
	}
	return ref, d, dec
}

// passed is dec as a verifier that blessed it would have signed it: PASSED. Taking such a VSA
// admits an image the full verification denies, so a test sees which path decided.
func passed(dec *gate.Decision) *gate.Decision {
	out := *dec
	out.Allowed = true
	return &out
}

func checkOne(t *testing.T, c *admit.Checker, f *admittest.Fixture, env, image string) admit.Result {
	t.Helper()
	rs, err := c.Check(context.Background(), admit.Client(f.Client), env, []string{image})
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

// requests records the paths of the registry requests made from now on.
func requests(f *admittest.Fixture) func() []string {
	var mu sync.Mutex
	var paths []string
	f.Observe(func(r *http.Request) func() {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		return func() {}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string{}, paths...)
	}
}

func TestFastPathTakesAFreshVSAWithoutVerifyingAgain(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	ref, d, dec := notBlessed(t, f, "fresh")
	vsa := f.PushVSA(t, f.Signer(admittest.Verifier), passed(dec), d)
	dir := t.TempDir()
	w, err := record.Open(dir + "/records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newChecker(t, f, admit.WithRecords(w))
	seen := requests(f)
	r := checkOne(t, c, f, admittest.Production, d.String())
	if !r.Allowed() {
		t.Fatalf("a fresh PASSED VSA by the verifier was not taken: %s", r.Explain())
	}
	// Only the listing, the image's manifest (is it an index?) and the VSA were read: no
	// other bundle was fetched, so nothing was verified and no policy evaluated.
	for _, p := range seen() {
		if strings.Contains(p, "/blobs/") || strings.Contains(p, "/manifests/sha256:") && !strings.HasSuffix(p, d.DigestStr()) && !strings.HasSuffix(p, vsa) {
			t.Errorf("the fast path read %s", p)
		}
	}
	if len(r.Decision.Gates) != 1 || r.Decision.Gates[0].Name != gate.VSAGate {
		t.Fatalf("gates %+v, want the one VSA gate", r.Decision.Gates)
	}
	for _, s := range []string{"blessed by VSA " + vsa, "role verifier", "verified at "} {
		if !strings.Contains(r.Decision.Gates[0].Reason, s) {
			t.Errorf("reason %q does not say %q", r.Decision.Gates[0].Reason, s)
		}
	}
	entries, err := record.ReadFile(dir + "/records.jsonl")
	if err != nil || len(entries) != 1 {
		t.Fatalf("records: %v, %d", err, len(entries))
	}
	if rec := entries[0].Record; !rec.Allowed || !strings.Contains(rec.Gates[0].Reason, "blessed by VSA "+vsa) || rec.Input.Evidence[0].PredicateType != attestations.VSAType {
		t.Errorf("record %+v does not say which VSA blessed the image", rec)
	}
	// Cached like any decision: no second look at the registry.
	before := f.Requests.Load()
	if r := checkOne(t, c, f, admittest.Production, ref); !r.Allowed() || f.Requests.Load()-before > 1 { // the tag is resolved
		t.Errorf("second check: allowed %v, %d requests", r.Allowed(), f.Requests.Load()-before)
	}
}

// TestFastPathRefusals: each VSA below must be ignored, and the image verified in full, which
// denies it; taking the VSA would admit it.
func TestFastPathRefusals(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	type mint func(t *testing.T, d name.Digest, dec *gate.Decision)
	verifier := f.Signer(admittest.Verifier)
	for _, tc := range []struct {
		desc string
		mint mint
		says string // in the debug log's reason
	}{
		{"stale", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			old := passed(dec)
			old.Time = time.Now().Add(-61 * time.Minute)
			f.PushVSA(t, verifier, old, d)
		}, "fastPath.maxAge"},
		{"from the future", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			later := passed(dec)
			later.Time = time.Now().Add(10 * time.Minute)
			f.PushVSA(t, verifier, later, d)
		}, "in the future"},
		{"another policy version", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			other := passed(dec)
			other.PolicyVersion = "sha256:" + strings.Repeat("0", 64)
			f.PushVSA(t, verifier, other, d)
		}, "verified under policy sha256:000"},
		{"another environment", func(t *testing.T, d name.Digest, _ *gate.Decision) {
			staging := f.Decide(t, admittest.Staging, d.String())
			if !staging.Allowed {
				t.Fatal("staging does not bless the image")
			}
			f.PushVSA(t, verifier, staging, d)
		}, "another environment (staging)"},
		{"a key no role holds", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			f.PushVSA(t, admittest.NewSigner(t), passed(dec), d)
		}, "no role holds"},
		{"a role the fast path does not list", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			f.PushVSA(t, f.Signer(admittest.Auditor), passed(dec), d)
		}, "role auditor, which is not in environments.production.fastPath.roles"},
		{"FAILED", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			f.PushVSA(t, verifier, dec, d)
		}, "FAILED"},
		{"about another image", func(t *testing.T, d name.Digest, _ *gate.Decision) {
			other, _ := f.Image(t, "shop/other", "1")
			f.Bless(t, other)
			f.PushVSA(t, verifier, f.Decide(t, admittest.Production, other), d)
		}, "subject"},
		{"a cosign legacy attestation (no push time) added after", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			f.PushVSA(t, verifier, passed(dec), d)
			f.ApproveLegacy(t, d, "ci", "qa") // rejected: ci may not approve; denied either way
		}, "at an unknown time"},
		{"a newer FAILED VSA hides an older PASSED one", func(t *testing.T, d name.Digest, dec *gate.Decision) {
			f.PushVSA(t, verifier, passed(dec), d)
			f.PushVSA(t, verifier, dec, d)
		}, "after or about when the VSA was signed"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, d, dec := notBlessed(t, f, tagOf(tc.desc))
			tc.mint(t, d, dec)
			var log strings.Builder
			c := newChecker(t, f, admit.WithLogger(debugLogger(&log)))
			r := checkOne(t, c, f, admittest.Production, d.String())
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if r.Allowed() {
				t.Fatalf("the VSA was taken: %+v", r.Decision.Gates)
			}
			if !strings.Contains(r.Explain(), "approval/sre") {
				t.Errorf("not denied by the full verification: %s", r.Explain())
			}
			if !strings.Contains(log.String(), tc.says) {
				t.Errorf("debug log %q does not say %q", log.String(), tc.says)
			}
		})
	}
}

func TestFastPathRefusesAVSAOlderThanANOGO(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	ref, d := f.Image(t, "shop/app", "nogo")
	f.Bless(t, ref)
	dec := f.Decide(t, admittest.Production, ref)
	if !dec.Allowed {
		t.Fatal("the fixture does not bless a blessed image")
	}
	f.PushVSA(t, f.Signer(admittest.Verifier), dec, d)
	if r := checkOne(t, newChecker(t, f), f, admittest.Production, d.String()); !r.Allowed() || r.Decision.Gates[0].Name != gate.VSAGate {
		t.Fatalf("before the NOGO, the VSA was not taken: %+v", r)
	}
	f.Approve(t, ref, "sre", attestations.DecisionNoGo)
	r := checkOne(t, newChecker(t, f), f, admittest.Production, d.String())
	if r.Allowed() {
		t.Fatal("a NOGO signed after the VSA was not read: the image was admitted")
	}
	if !strings.Contains(r.Explain(), "NOGO") {
		t.Errorf("Explain() = %q, want the NOGO", r.Explain())
	}
}

// A referrer pushed well before the VSA (more than the allowed clock skew) is not newer, even
// when the VSA does not list it (the verification rejected it, or its policy did not read it).
func TestFastPathTakesAVSANewerThanEveryReferrer(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	ref, d, dec := notBlessed(t, f, "older-junk")
	a := gate.Approval{Role: "qa", Decision: attestations.DecisionNoGo, Reason: "not qa's key", Expires: time.Hour}
	if _, err := gate.Approve(context.Background(), f.Client, f.Signer("ci"), ref, a, time.Now()); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(10 * time.Minute)
	vsa := passed(dec)
	vsa.Time = later.Add(-2 * time.Minute)
	f.PushVSA(t, f.Signer(admittest.Verifier), vsa, d)
	r := checkOne(t, newChecker(t, f, admit.WithClock(func() time.Time { return later })), f, admittest.Production, d.String())
	if !r.Allowed() || r.Decision.Gates[0].Name != gate.VSAGate {
		t.Fatalf("a referrer pushed 8 minutes before the VSA kept it from being taken: %s", r.Explain())
	}
}

func TestFastPathSkipsAVSAOfAnotherEnvironmentThatIsNewer(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	_, d, dec := notBlessed(t, f, "two-envs")
	vsa := f.PushVSA(t, f.Signer(admittest.Verifier), passed(dec), d)
	f.PushVSA(t, f.Signer(admittest.Verifier), f.Decide(t, admittest.Staging, d.String()), d)
	r := checkOne(t, newChecker(t, f), f, admittest.Production, d.String())
	if !r.Allowed() || !strings.Contains(r.Decision.Gates[0].Reason, vsa) {
		t.Fatalf("a staging VSA pushed later hid production's: %+v", r)
	}
}

func TestWithoutAFastPathAVSAIsNotTaken(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	_, d, dec := notBlessed(t, f, "no-fast-path")
	f.PushVSA(t, f.Signer(admittest.Verifier), passed(dec), d)
	c := newChecker(t, f)
	if r := checkOne(t, c, f, admittest.Production, d.String()); !r.Allowed() {
		t.Fatalf("production's fast path did not take the VSA: %s", r.Explain())
	}
	e, err := f.Config.Environment(admittest.Production)
	if err != nil {
		t.Fatal(err)
	}
	e.FastPath = nil // as a gate.yaml without fastPath loads
	if r := checkOne(t, newChecker(t, f), f, admittest.Production, d.String()); r.Allowed() {
		t.Fatal("without a fast path, a VSA admitted the image")
	}
}

func TestAFreezeOverrulesAFastPathDecision(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	cfg := f.WithFreeze(t)
	_, d, dec := notBlessed(t, f, "frozen")
	f.PushVSA(t, f.Signer(admittest.Verifier), passed(dec), d)
	g, err := freeze.NewGuard(f.Client, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := freeze.Set(ctx, f.Client, f.Signer("sre"), cfg, freeze.Change{Environment: admittest.Production, Frozen: true, Reason: "incident 4212"}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	r := checkOne(t, newChecker(t, f, admit.WithFreeze(g)), f, admittest.Production, d.String())
	if r.Allowed() {
		t.Fatal("a digest blessed by a VSA was admitted into a frozen environment")
	}
	if !strings.Contains(r.Explain(), "production is frozen") {
		t.Errorf("Explain() = %q", r.Explain())
	}
}

func debugLogger(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tagOf makes a test's description an image tag.
func tagOf(desc string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, desc)
}

// pushIndex pushes a two-platform image index and returns its digest and its first platform's.
func pushIndex(t *testing.T, f *admittest.Fixture, tag string) (index, platform name.Digest) {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	ref, err := name.NewTag(f.Host + "/shop/multi:" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	return ref.Context().Digest(d.String()), ref.Context().Digest(m.Manifests[0].Digest.String())
}

// A NOGO attached to one platform of an index denies the index: signed after the index's
// VSA, it must force the full verification.
func TestFastPathReadsTheReferrersOfAnIndexsPlatforms(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	index, amd64 := pushIndex(t, f, "1.0")
	f.Bless(t, index.String())
	dec := f.Decide(t, admittest.Production, index.String())
	if !dec.Allowed {
		t.Fatalf("the blessed index is not blessed: %+v", dec.Gates)
	}
	f.PushVSA(t, f.Signer(admittest.Verifier), dec, index)
	if r := checkOne(t, newChecker(t, f), f, admittest.Production, index.String()); !r.Allowed() || r.Decision.Gates[0].Name != gate.VSAGate {
		t.Fatalf("the index's VSA was not taken: %+v", r)
	}
	f.Approve(t, amd64.String(), "sre", attestations.DecisionNoGo)
	r := checkOne(t, newChecker(t, f), f, admittest.Production, index.String())
	if r.Allowed() {
		t.Fatal("a NOGO on a platform, signed after the index's VSA, was not read: the index was admitted")
	}
	if !strings.Contains(r.Explain(), "NOGO") {
		t.Errorf("Explain() = %q, want the NOGO", r.Explain())
	}
}

// Without a VSA among the referrers, the fast path reads the listing the full verification
// reads, and costs no request.
func TestFastPathCostsNoRequestWithoutAVSA(t *testing.T) {
	f := admittest.New(t)
	f.WithFastPath(t, time.Hour)
	ref, d := f.Image(t, "shop/app", "no-vsa")
	f.Bless(t, ref)
	e, err := f.Config.Environment(admittest.Production)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		before := f.Requests.Load()
		if r := checkOne(t, newChecker(t, f), f, admittest.Production, d.String()); !r.Allowed() {
			t.Fatalf("the blessed image: %s", r.Explain())
		}
		return f.Requests.Load() - before
	}
	with := count()
	fast := e.FastPath
	e.FastPath = nil
	without := count()
	e.FastPath = fast
	if with != without {
		t.Errorf("with a fast path and no VSA, %d registry requests; without a fast path, %d", with, without)
	}
}
