package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehq/gate/attestations"
)

// writers is how many `gate attest` processes the concurrency test starts at once.
const writers = 16

// Issue item 4: 16 `gate attest` processes started at once on the same digest, on each
// registry: all 16 are there on verify, for gate and for cosign. On the distribution registry
// every attest is a read-modify-write of one fallback index, which is where writes get lost.
func TestSixteenConcurrentAttestsAreAllKept(t *testing.T) {
	requireE2E(t)
	cosign := cosignV3(t)
	for _, reg := range registryKinds {
		t.Run(reg.desc, func(t *testing.T) {
			w := newWorld(t)
			r := reg.start(t)
			p := startProxy(t, r.host) // to count the index writes that undid another's
			image := pushImage(t, p.host, "team/app", nil).String()
			ciKey, ciPub := w.gateKey("ci")
			cfg := w.trustConfig(map[string][]string{"ci": {ciPub}})

			finish := make([]func() result, writers)
			began := time.Now()
			for i := range finish {
				cmd, stdout, stderr, cancel := w.start(gateBin(t), "attest", image, "--key", ciKey, "--report", unitReport, "--stage", fmt.Sprintf("stage-%02d", i))
				finish[i] = func() result { return wait(cmd, stdout, stderr, cancel, began) }
			}
			results := make([]result, writers)
			for i, f := range finish {
				results[i] = f() // all of them, before any failure ends the test
			}
			want := map[string]bool{}
			for i, res := range results {
				if res.code != 0 {
					t.Fatalf("writer %d:\n%s", i, res)
				}
				want[referrer(t, res)] = true
			}
			puts, clobbers := p.indexWrites()
			t.Logf("%d writers in %s; %d fallback index writes, %d of which dropped another writer's entry (and were repaired)", writers, time.Since(began).Round(time.Millisecond), puts, clobbers)
			if len(want) != writers {
				t.Fatalf("%d distinct referrers from %d writers", len(want), writers)
			}

			d, res := w.verify(cfg, image)
			got := map[string]bool{}
			for _, ev := range d.Evidence {
				if ev.PredicateType == attestations.TestResultType {
					got[ev.Location] = true
				}
			}
			for ref := range want {
				if !got[ref] {
					t.Errorf("attestation %s is missing on verify", ref)
				}
			}
			if len(got) != writers || len(d.Rejected) != 0 {
				t.Errorf("gate verify found %d test results and %d rejected, want %d and 0\n%s", len(got), len(d.Rejected), writers, res)
			}
			// cosign reads the same index: it must see all 16 too.
			cres := w.cosignVerify(cosign, ciPub, attestations.TestResultType, image)
			if n := len(verifiedStatements(t, cres)); cres.code != 0 || n != writers {
				t.Errorf("%s verified %d attestations, want %d\n%s", cosign.name, n, writers, cres)
			}
		})
	}
}
