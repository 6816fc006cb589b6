package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/oci"
)

// A predicate of any type, signed by a role whose maySign names its URI,
// satisfies required_predicates; one that does not parse pushes nothing.
func TestAttestAnyPredicate(t *testing.T) {
	c := newCLI(t)
	const checklist = "https://example.com/checklist/v1"
	policies, _ := filepath.Abs("../../policies")
	c.write("gate.yaml", `roles:
  ci: {keys: [ci.pub], maySign: [tests]}
  sre: {keys: [sre.pub], maySign: [approval, `+checklist+`]}
environments:
  production: {policy: `+policies+`, data: data.json}
defaultEnvironment: production
`)
	c.write("data.json", `{"required_predicates": ["`+checklist+`"]}`)
	verify := func() (int, string) { return run(t, "verify", c.image, "--config", c.path("gate.yaml")) }

	if code, out := verify(); code != exitNotBlessed || !strings.Contains(out, "no verified attestation of type "+checklist) {
		t.Fatalf("before the checklist: exit %d:\n%s", code, out)
	}

	dup := c.write("dup.json", "{\n  \"items\": [\"dr-plan\"],\n  \"Items\": []\n}\n")
	code, out := run(t, "attest", c.image, "--key", c.path("sre.key"), "--predicate", dup, "--type", checklist)
	if code != exitUndecided || !strings.Contains(out, "dup.json:3") {
		t.Fatalf("a predicate with a key twice: exit %d, want %d naming dup.json:3:\n%s", code, exitUndecided, out)
	}
	cl := oci.NewClient()
	d, err := cl.Resolve(context.Background(), c.image)
	if err != nil {
		t.Fatal(err)
	}
	if atts, err := cl.List(context.Background(), d); err != nil || len(atts) != 0 {
		t.Fatalf("after a bad predicate: %d attestations stored (err %v), want none", len(atts), err)
	}

	for _, bad := range [][]string{
		{"--predicate", dup},                                       // no --type
		{"--predicate", dup, "--type", "checklist"},                // neither a kind nor a URI
		{"--predicate", dup, "--type", checklist, "--report", dup}, // two sources
	} {
		if code, out := run(t, append([]string{"attest", c.image, "--key", c.path("sre.key")}, bad...)...); code != exitUndecided {
			t.Fatalf("%v: exit %d, want %d:\n%s", bad, code, exitUndecided, out)
		}
	}

	ok := c.write("checklist.json", `{"items": [{"name": "dr-plan", "link": "https://wiki.example/dr"}]}`)
	// ci may not sign the checklist: attested, but rejected at verify.
	if code, out := run(t, "attest", c.image, "--key", c.path("ci.key"), "--predicate", ok, "--type", checklist); code != 0 {
		t.Fatalf("attest: exit %d:\n%s", code, out)
	}
	if code, out := verify(); code != exitNotBlessed {
		t.Fatalf("signed by a role that may not sign it: exit %d:\n%s", code, out)
	}
	if code, out := run(t, "attest", c.image, "--key", c.path("sre.key"), "--predicate", ok, "--type", checklist); code != 0 || !strings.Contains(out, checklist) {
		t.Fatalf("attest: exit %d:\n%s", code, out)
	}
	if code, out := verify(); code != exitBlessed {
		t.Fatalf("with the checklist signed by sre: exit %d:\n%s", code, out)
	}
}
