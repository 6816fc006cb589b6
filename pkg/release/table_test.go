package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
)

func digestOf(t *testing.T, ref string) string {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	return d.DigestStr()
}

func rowOf(t *testing.T, tb *Table, ref string) Row {
	t.Helper()
	for _, r := range tb.Rows {
		if r.Digest == digestOf(t, ref) {
			return r
		}
	}
	t.Fatalf("no row for %s in %+v", ref, tb.Rows)
	return Row{}
}

func gapNamed(v Verdict, name string) (Gap, bool) {
	for _, g := range v.Missing {
		if g.Name == name {
			return g, true
		}
	}
	return Gap{}, false
}

// TestTableOfTheStory reads the demo's repository as the GO/NOGO meeting
// would: rows newest build first, a blessed release, a candidate missing
// qa's GO (with the command that gives it), a NOGO with its reason, a
// forged GO that is no vote, and each bundle fetched once.
func TestTableOfTheStory(t *testing.T) {
	s := seeded(t)
	cfg := s.config(t, s.Config)
	cnt := newCounter()
	tb, err := Build(context.Background(), cnt.client(), cfg, s.Repository, time.Now(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range tb.Rows {
		tags = append(tags, strings.Join(r.Tags, ","))
	}
	// The rebuilt 1.0 has no provenance: it comes last. The original 1.0
	// (blessed) lost its tag to the rebuild, so it is in no row.
	if want := []string{"1.4-rc", "1.3", "1.2-waiting", "1.1-failing", "1.0"}; !slices.Equal(tags, want) {
		t.Fatalf("rows by tag %v, want %v", tags, want)
	}
	if twice := cnt.fetchedTwice(); len(twice) > 0 {
		t.Errorf("blobs fetched more than once: %v", twice)
	}

	if v, _ := rowOf(t, tb, s.release).Verdict("demo"); !v.Blessed || len(v.Missing) != 0 {
		t.Errorf("1.3 in demo: blessed=%v missing=%v, want blessed", v.Blessed, v.Missing)
	}
	cand, _ := rowOf(t, tb, s.candidate).Verdict("demo")
	g, ok := gapNamed(cand, "approval/qa")
	if cand.Blessed || !ok || len(cand.Missing) != 1 {
		t.Fatalf("1.4-rc: blessed=%v missing=%+v, want only approval/qa", cand.Blessed, cand.Missing)
	}
	if want := "gate approve " + s.candidate + " --key qa.key --role qa --decision go"; !strings.HasPrefix(g.Command, want) {
		t.Errorf("command for qa's GO: %q, want it to start %q", g.Command, want)
	}

	waiting := rowOf(t, tb, s.Waiting)
	var nogo *Vote
	for i, v := range waiting.Votes {
		if v.Reason == "trust me" {
			t.Errorf("the forged GO (signed by a key no role holds) is shown as a vote: %+v", v)
		}
		if v.Decision == "NOGO" {
			nogo = &waiting.Votes[i]
		}
	}
	if nogo == nil || nogo.Role != "sre" || nogo.Reason != "no runbook for the new payment queue" || nogo.Signer != "sre.pub" {
		t.Errorf("waiting: NOGO vote %+v, want sre's with its reason and key", nogo)
	}
	if nogo != nil && (nogo.Expires.Sub(nogo.At) != 72*time.Hour || nogo.Expired) {
		t.Errorf("NOGO expiry %s after %s (expired %v), want 72h, not expired", nogo.Expires, nogo.At, nogo.Expired)
	}
	if len(waiting.Rejected) != 1 {
		t.Errorf("waiting: %d rejected, want the forged GO", len(waiting.Rejected))
	}
	wv, _ := waiting.Verdict("demo")
	if g, ok := gapNamed(wv, "nogo"); !ok || !strings.Contains(g.Reason, "no runbook") {
		t.Errorf("waiting: nogo gap %+v, want the NOGO's reason", g)
	}
	// sre's GO closes both approval/sre and the NOGO: the command is shown once.
	var cmds []string
	for _, g := range wv.Missing {
		if g.Command != "" {
			cmds = append(cmds, g.Command)
		}
	}
	if len(cmds) != 1 || !strings.Contains(cmds[0], "--key sre.key --role sre --decision go") {
		t.Errorf("waiting: commands %q, want sre's GO once", cmds)
	}
	if r := rowOf(t, tb, s.Rebuilt); !r.Built.IsZero() || len(r.Votes) != 0 {
		t.Errorf("rebuilt 1.0: built %v, votes %v: want neither", r.Built, r.Votes)
	}

	var text bytes.Buffer
	if err := WriteText(&text, tb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BLESSED", "NOT BLESSED", "approval/qa", "$ gate approve", `NOGO sre by sre.pub`, `"no runbook for the new payment queue"`} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if _, err := json.Marshal(tb); err != nil {
		t.Errorf("table does not marshal: %v", err)
	}
}

// TestEveryEnvironmentFromOneGather decides each digest in two environments
// over one read of its evidence: the strict one wants two GOs from qa.
func TestEveryEnvironmentFromOneGather(t *testing.T) {
	s := seeded(t)
	cfg := s.config(t, s.strict)
	one, two := newCounter(), newCounter()
	ctx := context.Background()
	if _, err := Build(ctx, one.client(), cfg, s.Repository+":1.3", time.Now(), Options{Environments: []string{"demo"}}); err != nil {
		t.Fatal(err)
	}
	tb, err := Build(ctx, two.client(), cfg, s.Repository+":1.3", time.Now(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 1 || !slices.Equal(tb.Rows[0].Tags, []string{"1.3"}) {
		t.Fatalf("rows %+v, want 1.3's alone", tb.Rows)
	}
	if a, b := one.requests.Load(), two.requests.Load(); a != b {
		t.Errorf("two environments took %d requests, one took %d: the evidence is read more than once", b, a)
	}
	demoV, _ := tb.Rows[0].Verdict("demo")
	strictV, _ := tb.Rows[0].Verdict("strict")
	g, _ := gapNamed(strictV, "approval/qa")
	if !demoV.Blessed || strictV.Blessed || !strings.Contains(g.Reason, "1 of 2") {
		t.Errorf("demo blessed=%v, strict blessed=%v (qa gap %q): want demo only, qa 1 of 2", demoV.Blessed, strictV.Blessed, g.Reason)
	}
}

// TestBlessedAndBefore finds the rollback targets: 1.3, and before it the
// original 1.0 (untagged since the rebuild, so asked for by digest).
func TestBlessedAndBefore(t *testing.T) {
	s := seeded(t)
	cfg := s.config(t, s.Config)
	orig, err := name.NewDigest(s.Blessed)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Build(context.Background(), oci.NewClient(), cfg, s.Repository, time.Now(), Options{Last: -1, Include: []name.Digest{orig}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range Blessed(tb, "demo") {
		got = append(got, r.Reference)
	}
	if want := []string{s.release, s.Blessed}; !slices.Equal(got, want) {
		t.Errorf("blessed %v, want %v", got, want)
	}
	before, err := Before(tb, "demo", digestOf(t, s.release))
	if err != nil || before.Reference != s.Blessed {
		t.Errorf("before 1.3: %v %v, want %s", before.Reference, err, s.Blessed)
	}
	if _, err := Before(tb, "demo", digestOf(t, s.Blessed)); !errors.Is(err, ErrNoneBlessed) {
		t.Errorf("before the first blessed build: %v, want ErrNoneBlessed", err)
	}
}

// TestRegistryFaultIsNoTable fails closed: a registry that cannot be read
// is an error, never an empty table that says nothing is blessed.
func TestRegistryFaultIsNoTable(t *testing.T) {
	s := seeded(t)
	cfg := s.config(t, s.Config)
	srv := httptest.NewServer(registry.New())
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	tb, err := Build(context.Background(), oci.NewClient(), cfg, host+"/acme/shop", time.Now(), Options{})
	if err == nil || !errors.Is(err, oci.ErrUnreachable) {
		t.Errorf("closed registry: table %+v, err %v; want ErrUnreachable", tb, err)
	}
}
