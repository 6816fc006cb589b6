package main

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/chart/charttest"
	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/registry"
)

var (
	builtGate    string
	buildGateErr error
	buildOnce    sync.Once
)

// gateBinary builds gate once for the tests that run command lines through bash.
func gateBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gate-bin-")
		if err != nil {
			buildGateErr = err
			return
		}
		builtGate = filepath.Join(dir, "gate")
		out, err := exec.Command("go", "build", "-o", builtGate, ".").CombinedOutput()
		if err != nil {
			buildGateErr = err
			builtGate = string(out)
		}
	})
	if buildGateErr != nil {
		t.Fatalf("building gate: %v\n%s", buildGateErr, builtGate)
	}
	return builtGate
}

// The examples of gate attest --help run as printed, in a directory holding
// the files they name, with $IMAGE an image in a real registry.
func TestAttestHelpExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gate")
	}
	bin := gateBinary(t)
	c := newCLI(t)
	for name, src := range map[string]string{"unit.xml": "integration-pass.xml", "trivy.json": "trivy-clean.json", "cover.out": "go-chi.cover"} {
		b, err := os.ReadFile("../../internal/demo/reports/" + src)
		if err != nil {
			t.Fatal(err)
		}
		c.write(name, string(b))
	}
	t.Setenv("IMAGE", c.image)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	script := newAttest().Example
	out, err := runScript(t, c.dir, script, 2*time.Minute)
	if err != nil {
		t.Fatalf("gate attest --help's examples fail: %v\n%s\n%s", err, script, out)
	}
	if n := strings.Count(out, "attested "); n != 4 {
		t.Fatalf("want 4 attestations from the 4 examples, got %d:\n%s", n, out)
	}
}

func TestAttestRefusesAnAbbreviatedCommit(t *testing.T) {
	code, out := run(t, "attest", "127.0.0.1:1/x:1", "--key", "/nonexistent.key", "--provenance", "--builder-id", "b", "--build-type", "t", "--source", "s", "--commit", "6f1c2e0")
	if code != exitUndecided || !strings.Contains(out, "full commit SHA") {
		t.Fatalf("exit %d, want 2 asking for the full SHA:\n%s", code, out)
	}
}

func TestAttestNamesTheFormats(t *testing.T) {
	code, out := run(t, "attest", "127.0.0.1:1/x:1", "--key", "/nonexistent.key", "--report", "../../README.md")
	if code != exitUndecided || !strings.Contains(out, "--format") || !strings.Contains(out, "gotest-json, junit, trivy") {
		t.Fatalf("an undetectable report: exit %d, want 2 listing the formats and --format:\n%s", code, out)
	}
	code, out = run(t, "attest", "127.0.0.1:1/x:1", "--key", "/nonexistent.key", "--report", "../../README.md", "--format", "xunit")
	if code != exitUndecided || !strings.Contains(out, "want one of gotest-json") {
		t.Fatalf("an unknown --format: exit %d, want 2 listing the formats:\n%s", code, out)
	}
	if _, out := run(t, "attest", "--help"); !strings.Contains(out, "cobertura    Cobertura XML") {
		t.Errorf("attest --help lists no formats:\n%s", out)
	}
}

// exampleWorld is the world the commands' examples name, with reg.example a
// real registry: app:1.4 and the chart shop:1.2.3 (whose prod.yaml runs
// app:1.4) blessed in production and staging, a verifier role that may sign
// VSAs; it returns the world, the gate binary, and app:1.4's digest.
func exampleWorld(t *testing.T) (*cli, string, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds gate")
	}
	charttest.NeedHelm(t)
	bin := gateBinary(t)
	c := newCLI(t)
	app := c.pushImage(t, "app:1.4")
	c.bless(t, app)
	digest, err := crane.Digest(app)
	if err != nil {
		t.Fatal(err)
	}
	shop := charttest.Chart{Name: "shop", Version: "1.2.3", Files: map[string]string{"templates/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec: {template: {spec: {containers: [{name: shop, image: {{ .Values.image | quote }}}]}}}
`}}
	chartRef, _ := charttest.Push(t, c.host, "charts/shop", shop)
	c.bless(t, chartRef)
	c.write("prod.yaml", "image: "+c.host+"/app@"+digest+"\n")
	if code, out := run(t, "generate-key-pair", "--output-key-prefix", c.path("verifier")); code != 0 {
		t.Fatalf("generate-key-pair: %s", out)
	}
	cfg, err := os.ReadFile(c.path("gate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A staging environment beside production, under the same policy and data.
	cfg = []byte(strings.Replace(string(cfg), "roles:\n", "roles:\n  verifier: {keys: [verifier.pub], maySign: [vsa]}\n", 1))
	policies, _ := filepath.Abs("../../policies")
	cfg = []byte(strings.Replace(string(cfg), "environments:\n", "environments:\n  staging: {policy: "+policies+", data: data.json}\n", 1))
	c.write("gate.yaml", string(cfg))
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	return c, bin, digest
}

// asPrinted is a command's examples with reg.example the world's registry
// and @sha256:… app:1.4's digest.
func asPrinted(c *cli, digest, example string) string {
	return strings.NewReplacer("reg.example/", c.host+"/", "@sha256:…", "@"+digest).Replace(example)
}

// The examples of gate verify --help run as printed in exampleWorld.
func TestVerifyHelpExamplesRun(t *testing.T) {
	c, _, digest := exampleWorld(t)
	script := asPrinted(c, digest, newVerify().Example)
	out, err := runScript(t, c.dir, script, 2*time.Minute)
	if err != nil {
		t.Fatalf("gate verify --help's examples fail: %v\n%s\n%s", err, script, out)
	}
	if n := strings.Count(out, "BLESSED"); n < 3 || !strings.Contains(out, `"allowed": true`) {
		t.Fatalf("want the 4 examples blessed (3 in text, 1 in JSON), got %d in text:\n%s", n, out)
	}
	if _, err := os.Stat(c.path("vsa.json")); err != nil {
		t.Fatalf("the --attest-vsa example wrote no vsa.json: %v\n%s", err, out)
	}
}

// The examples of gate approve --help run as printed in exampleWorld: each
// signs and pushes its approval.
func TestApproveHelpExamplesRun(t *testing.T) {
	c, _, digest := exampleWorld(t)
	script := asPrinted(c, digest, newApprove().Example)
	out, err := runScript(t, c.dir, script, 2*time.Minute)
	if err != nil {
		t.Fatalf("gate approve --help's examples fail: %v\n%s\n%s", err, script, out)
	}
	if n := strings.Count(out, "stored as referrer"); n != 5 || strings.Count(out, "NOGO from sre") != 1 {
		t.Fatalf("want the 5 approvals pushed, one a NOGO, got %d:\n%s", n, out)
	}
}

// The examples of gate status, gate blessed and gate promote --help run as
// printed in exampleWorld, where the repository shop also holds 1.3 and 1.4,
// blessed, built an hour apart (their verified provenance says so), and
// build.example and prod.example are two registries. kubectl is a stand-in
// that checks what it is asked (no cluster runs in a unit test): the image
// gate blessed --latest gave it.
func TestReleaseHelpExamplesRun(t *testing.T) {
	c, _, appDigest := exampleWorld(t)
	built := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var shop13, shop14 string
	for i, tag := range []string{"1.3", "1.4"} {
		img := c.pushImage(t, "shop:"+tag)
		finished := built.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		if code, out := run(t, "attest", img, "--key", c.path("ci.key"), "--provenance", "--builder-id", "https://ci.example/builders/release",
			"--build-type", "https://ci.example/build/oci@v1", "--source", "git+https://git.example/shop", "--commit", strings.Repeat("6f1c2e0a", 5),
			"--started", built.Format(time.RFC3339), "--finished", finished); code != 0 {
			t.Fatalf("attesting provenance: %s", out)
		}
		c.bless(t, img)
		d, err := crane.Digest(img)
		if err != nil {
			t.Fatal(err)
		}
		shop13, shop14 = shop14, d
	}
	prod := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(prod.Close)
	prodHost := strings.TrimPrefix(prod.URL, "http://")

	shim := t.TempDir()
	if err := os.WriteFile(filepath.Join(shim, "kubectl"), []byte("#!/bin/sh\n"+
		`[ "$*" = "set image deploy/shop shop=`+c.host+"/shop@"+shop14+`" ] || { echo "kubectl stand-in: unexpected $*" >&2; exit 1; }`+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shim+string(os.PathListSeparator)+os.Getenv("PATH"))

	for _, tc := range []struct {
		name, example, digest string
		want                  []string
	}{
		{"status", newStatus().Example, shop14, []string{"BLESSED", `"reference"`, "charts/shop@sha256:"}},
		// --before 1.4 is 1.3, an hour older: the rollback target.
		{"blessed", newBlessed().Example, shop14, []string{shop13}},
		{"promote", newPromote().Example, appDigest, []string{prodHost + "/app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := strings.NewReplacer("reg.example/", c.host+"/", "build.example/", c.host+"/", "prod.example/", prodHost+"/",
				"@sha256:…", "@"+tc.digest, "sha256:…", tc.digest).Replace(tc.example)
			out, err := runScript(t, c.dir, script, 2*time.Minute)
			if err != nil {
				t.Fatalf("gate %s --help's examples fail: %v\n%s\n%s", tc.name, err, script, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("gate %s --help's examples say no %q:\n%s", tc.name, w, out)
				}
			}
		})
	}
}
