package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every failed gate in gate verify's answer, text and JSON, says what would
// pass it.
func TestVerifySaysWhatWouldPassEachFailedGate(t *testing.T) {
	c := newCLI(t)
	if code, out := run(t, "attest", c.image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/go-chi.cover"); code != 0 {
		t.Fatal(out)
	}
	code, out := run(t, "verify", c.image, "--config", c.path("gate.yaml"))
	if code != exitNotBlessed {
		t.Fatalf("exit %d, want %d:\n%s", code, exitNotBlessed, out)
	}
	for _, want := range []string{
		"next: attest the unit tests' report: `gate attest IMAGE --key KEY --report REPORT --stage unit`",
		"next: attest a vulnerability scan",
		"next: module-lead has not said GO: `gate approve IMAGE --key KEY --role module-lead --decision go --reason …`",
		"next: sre has not said GO",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify's text lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "next:") != strings.Count(out, "FAIL ") {
		t.Errorf("not every FAIL has a next step:\n%s", out)
	}
	_, js := run(t, "verify", c.image, "--config", c.path("gate.yaml"), "--output", "json")
	var d struct {
		Gates []struct {
			Name   string
			Passed bool
			Next   string
		}
	}
	if err := json.Unmarshal([]byte(js[:strings.LastIndex(js, "}")+1]), &d); err != nil {
		t.Fatalf("%v:\n%s", err, js)
	}
	for _, g := range d.Gates {
		if g.Passed == (g.Next != "") {
			t.Errorf("JSON gate %s: passed %v with next %q", g.Name, g.Passed, g.Next)
		}
	}
}

// Evidence signed by a key the config does not know says where the key goes.
func TestVerifySaysWhereAnUnknownKeyGoes(t *testing.T) {
	c := newCLI(t)
	if code, out := run(t, "generate-key-pair", "--output-key-prefix", c.path("stranger")); code != 0 {
		t.Fatal(out)
	}
	if code, out := run(t, "attest", c.image, "--key", c.path("stranger.key"), "--report", "../../pkg/gate/testdata/go-chi.cover"); code != 0 {
		t.Fatal(out)
	}
	_, out := run(t, "verify", c.image, "--config", c.path("gate.yaml"))
	// The rejection itself says so (pkg/verify); verify adds its own line
	// only for rejections that do not.
	if !strings.Contains(out, "add its public key to roles.<role>.keys") {
		t.Fatalf("no word on where the key goes:\n%s", out)
	}
}
