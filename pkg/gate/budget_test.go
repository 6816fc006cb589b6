package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/oci"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Junk referrers cost a bounded read, however many and however large: a
// flood of bundle-shaped blobs (120 of 16 MB ran past a minute) is read up
// to the budget and the rest rejected unread. Every gate is still decided
// on the good evidence, read first; the decision is a denial, since what
// was not read could be a NOGO. The budget is made small here rather than
// pushing gigabytes.
func TestJunkCostsABoundedRead(t *testing.T) {
	const (
		junk     = 24
		junkSize = 256 << 10
		budget   = 1 << 20
	)
	h := newHarness(t, true, 1)
	ref, d := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	for i := range junk { // newer than the good evidence, and of a type the policy reads
		body := []byte(fmt.Sprintf(`{"junk":%d,"pad":"%s"}`, i, strings.Repeat("x", junkSize)))
		l := h.blob(d, body, oci.BundleMediaType)
		h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.TestResultType, map[string]string{"org.opencontainers.image.created": time.Now().Add(time.Hour).Format(time.RFC3339)}), nil)
	}
	v := NewVerifier(h.client, h.cfg)
	v.budget = budget
	h.read.Store(0)
	g, err := v.Gather(context.Background(), d, h.cfg.Environments["test"].Policy.PredicateTypes())
	if err != nil {
		t.Fatal(err)
	}
	if read := h.read.Load(); read > budget+64<<10 {
		t.Errorf("read %d bytes from the registry, over the budget of %d (and the listing)", read, budget)
	}
	over := 0
	for _, r := range g.Rejected {
		if errors.Is(r.Err, oci.ErrOverBudget) && strings.Contains(r.Reason, "over the read budget") {
			over++
		}
	}
	if len(g.Rejected) != junk || over < junk-budget/junkSize {
		t.Errorf("want all %d junk rejected, at least %d unread; got %d rejected, %d over the budget", junk, junk-budget/junkSize, len(g.Rejected), over)
	}
	dec, err := Decide(context.Background(), h.cfg.Environments["test"], g, ref, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed {
		t.Fatal("blessed over attestations nobody read")
	}
	for _, gt := range dec.Gates {
		if gt.Passed == (gt.Name == "evidence/unread") {
			t.Errorf("gate %s passed=%v (%s): want every policy gate passed on the good evidence, and the unread gate failed", gt.Name, gt.Passed, gt.Reason)
		}
	}
}

// Flooding cannot hide a NOGO: with qa's NOGO the one attestation left
// unread, and every GO read, the image is not blessed.
func TestFloodCannotHideANoGo(t *testing.T) {
	h := newHarness(t, true, 1)
	ref, d := h.image("1.0")
	h.approve(ref, "qa", "qa", attestations.DecisionNoGo, time.Now(), time.Hour) // the oldest, so read last
	time.Sleep(10 * time.Millisecond)
	h.blessedEvidence(ref, "module-lead", "qa", "sre")
	for i := range 8 { // newer, so read first
		body := []byte(fmt.Sprintf(`{"junk":%d,"pad":"%s"}`, i, strings.Repeat("x", 64<<10)))
		l := h.blob(d, body, oci.BundleMediaType)
		l.Data = body
		h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, map[string]string{"org.opencontainers.image.created": time.Now().Add(time.Hour).Format(time.RFC3339)}), nil)
	}
	types := h.cfg.Environments["test"].Policy.PredicateTypes()
	all, err := h.client.ListReferrers(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	todo := pick(all, wanted(all, types))
	v := NewVerifier(h.client, h.cfg)
	v.budget = 0
	for _, a := range todo[:len(todo)-1] { // everything but the NOGO
		v.budget += a.ManifestSize
	}
	g, err := v.Gather(context.Background(), d, types)
	if err != nil {
		t.Fatal(err)
	}
	if g.NotRead() != 1 {
		t.Fatalf("setup: want one attestation unread, got rejected %+v", g.Rejected)
	}
	dec, err := Decide(context.Background(), h.cfg.Environments["test"], g, ref, time.Now())
	if err != nil || dec.Allowed {
		t.Fatalf("a flood hid an attestation and the image was blessed: %v, %+v", err, dec.Gates)
	}
	if passed, _ := gate(t, dec, "evidence/unread"); passed {
		t.Error("the unread gate passed")
	}
}

// More attestations than MaxAttestations are treated as more bytes than the
// read budget: the newest are read, the rest rejected unread, and the
// decision goes on, a denial through evidence/unread with every policy gate
// decided on what was read, never an error (which would let anyone who can
// push referrers make a good image undecidable) and never a blessing (what
// was not read could be a NOGO). The limit is made small here rather than
// pushing a thousand referrers.
func TestPastMaxAttestationsDeniesUnread(t *testing.T) {
	const extra = 3
	h := newHarness(t, true, 1)
	ref, d := h.image("1.0")
	h.blessedEvidence(ref, "module-lead", "qa", "sre") // 7 attestations
	for i := range extra {                             // older than the good evidence, so read last
		body := []byte(fmt.Sprintf(`{"junk":%d}`, i))
		l := h.blob(d, body, oci.BundleMediaType)
		h.putReferrer(d, h.referrerManifest(d, []v1.Descriptor{l}, attestations.ApprovalType, map[string]string{"org.opencontainers.image.created": time.Now().Add(-time.Hour).Format(time.RFC3339)}), nil)
	}
	v := NewVerifier(h.client, h.cfg)
	v.most = 7
	types := h.cfg.Environments["test"].Policy.PredicateTypes()
	if _, err := v.Gather(context.Background(), d, types); err != nil { // warm the client's transports: one ping per process
		t.Fatal(err)
	}
	h.requests.Store(0)
	g, err := v.Gather(context.Background(), d, types)
	if err != nil {
		t.Fatalf("too many attestations made the image undecidable: %v", err)
	}
	if len(g.Evidence) != 7 || len(g.Rejected) != extra || g.NotRead() != extra {
		t.Fatalf("want the 7 newest read and %d rejected unread; got %d evidence, rejected %+v", extra, len(g.Evidence), g.Rejected)
	}
	for _, r := range g.Rejected {
		if !strings.Contains(r.Reason, "more than 7 attestations") {
			t.Errorf("rejection %q does not say the count gate reads", r.Reason)
		}
	}
	if n := h.requests.Load(); n > 2+7 { // the listing, the legacy look, one manifest each
		t.Errorf("made %d requests: the attestations past the count were fetched", n)
	}
	dec, err := Decide(context.Background(), h.cfg.Environments["test"], g, ref, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed {
		t.Fatal("blessed over attestations nobody read")
	}
	for _, gt := range dec.Gates {
		if gt.Passed == (gt.Name == "evidence/unread") {
			t.Errorf("gate %s passed=%v (%s): want every policy gate passed on the evidence read, and the unread gate failed", gt.Name, gt.Passed, gt.Reason)
		}
	}
}
