package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// Tool paths from scripts/install-tools.sh.
const (
	envSyft   = "GATE_SYFT"
	envVegeta = "GATE_VEGETA"
)

// evidenceConfig writes a gate.yaml in which ci may sign SBOMs and load tests, with data, and
// returns its path.
func (w *world) evidenceConfig(pub, data string) string {
	w.t.Helper()
	w.write("data.json", []byte(data))
	return w.write("gate.yaml", []byte(fmt.Sprintf(`roles:
  ci: {keys: [%s], maySign: [spdx, cyclonedx, %s]}
environments:
  e2e: {policy: %s, data: data.json}
defaultEnvironment: e2e
`, pub, attestations.LoadTestType, filepath.Join(repoRoot, "policies"))))
}

// The real syft's SPDX and CycloneDX SBOMs of this repository's Go modules are attested by gate
// and decided by the shipped SBOM gates: both formats count, a denied licence and a denied
// package fail with the component named, and data that denies neither passes.
func TestSBOMGatesOnSyftsSBOMs(t *testing.T) {
	syft := tool(t, envSyft)
	w := newWorld(t)
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	// syft finds Go modules' licences in $GOPATH/pkg/mod, offline; the world's HOME is not the
	// user's, so GOPATH is given.
	w.extra = append(w.extra, "GOPATH="+strings.TrimSpace(string(gopath)), "SYFT_GOLANG_SEARCH_LOCAL_MOD_CACHE_LICENSES=true",
		"SYFT_CHECK_FOR_APP_UPDATE=false")
	src := w.path("src")
	w.write("src/go.mod", readFile(t, filepath.Join(repoRoot, "go.mod")))
	w.write("src/go.sum", readFile(t, filepath.Join(repoRoot, "go.sum")))
	spdx, cdx := w.path("sbom.spdx.json"), w.path("sbom.cdx.json")
	w.must(syft, "scan", "dir:"+src, "-o", "spdx-json="+spdx, "-o", "cyclonedx-json="+cdx)

	r := startReferrersRegistry(t)
	image := pushImage(t, r.host, "team/app", nil).String()
	key, pub := w.gateKey("ci")
	gate := gateBin(t)
	for _, f := range []string{spdx, cdx} {
		if out := w.must(gate, "attest", image, "--key", key, "--report", f); !strings.Contains(out.stdout, "/bom") && !strings.Contains(out.stdout, "spdx.dev/Document") {
			t.Fatalf("attested under the wrong type:\n%s", out)
		}
	}

	cfg := w.evidenceConfig(pub, `{"require_sbom": true, "deny_licenses": ["MPL-2.0"],
  "deny_packages": [{"purl": "pkg:golang/github.com/spf13/cobra", "versions": ">=1.0.0, <99.0.0"}]}`)
	d, res := w.verify(cfg, image)
	if d.Allowed || res.code != 1 || len(d.Evidence) != 2 || len(d.Rejected) != 0 {
		t.Fatalf("want not blessed on 2 verified SBOMs:\n%s", res)
	}
	if passed, reason := gatePassed(d, "sbom"); !passed || !strings.HasPrefix(reason, "2 SBOMs of ") {
		t.Errorf("sbom gate: %v %s", passed, reason)
	}
	// Some of gate's modules are MPL-2.0, as their LICENSE files in the module cache say (which
	// ones follows go.mod); each is named once though both SBOMs list it, even where the two
	// formats write its licence expression differently.
	passed, reason := gatePassed(d, "sbom/licenses")
	if passed || !strings.Contains(reason, " under a denied licence: ") || !strings.Contains(reason, "github.com/hashicorp/go-cleanhttp@v0.5.2 (MPL-2.0)") {
		t.Errorf("sbom/licenses gate: %v %s", passed, reason)
	}
	named := map[string]int{}
	for _, c := range strings.Split(strings.SplitN(reason, ": ", 2)[1], "), ") {
		named[strings.Fields(c)[0]]++
	}
	for c, n := range named {
		if n > 1 {
			t.Errorf("sbom/licenses names %s %d times: %s", c, n, reason)
		}
	}
	if passed, reason := gatePassed(d, "sbom/packages"); passed || !strings.Contains(reason, "cobra@v1.10.2") || reason != "1 package denied: cobra@v1.10.2 (denied: pkg:golang/github.com/spf13/cobra >=1.0.0, <99.0.0)" {
		t.Errorf("sbom/packages gate must name cobra: %v %s", passed, reason)
	}

	cfg = w.evidenceConfig(pub, `{"require_sbom": true, "deny_licenses": ["AGPL-3.0-only"],
  "deny_packages": [{"purl": "pkg:golang/github.com/spf13/cobra", "versions": "<1.0.0"}]}`)
	if d, res := w.verify(cfg, image); !d.Allowed || res.code != 0 {
		t.Fatalf("want blessed when nothing denied is in the SBOMs:\n%s", res)
	}
}

// The real vegeta's report of a load test against a local server is attested by gate and
// decided by the shipped load-test gate.
func TestLoadTestGateOnVegetasReport(t *testing.T) {
	vegeta := tool(t, envVegeta)
	w := newWorld(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { _, _ = rw.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	targets := w.write("targets.txt", []byte("GET "+srv.URL+"/\n"))
	w.must(vegeta, "attack", "-targets", targets, "-rate", "100", "-duration", "3s", "-output", w.path("results.bin"))
	w.must(vegeta, "report", "-type", "json", "-output", w.path("load.json"), w.path("results.bin"))

	r := startReferrersRegistry(t)
	image := pushImage(t, r.host, "team/app", nil).String()
	key, pub := w.gateKey("ci")
	w.must(gateBin(t), "attest", image, "--key", key, "--report", w.path("load.json"))

	cfg := w.evidenceConfig(pub, `{"loadtest": {"max_p99_ms": 250, "min_success_ratio": 0.999, "min_duration_seconds": 2, "max_age": "1h"}}`)
	d, res := w.verify(cfg, image)
	if passed, reason := gatePassed(d, "loadtest"); !d.Allowed || !passed || !strings.HasPrefix(reason, "load test of 300 requests at 100/s over 3s") {
		t.Fatalf("want blessed on a 3 s load test: %s\n%s", reason, res)
	}
	cfg = w.evidenceConfig(pub, `{"loadtest": {"max_p99_ms": 250, "min_success_ratio": 0.999, "min_duration_seconds": 60, "max_age": "1h"}}`)
	d, res = w.verify(cfg, image)
	if passed, reason := gatePassed(d, "loadtest"); d.Allowed || passed || reason != "load test: ran 3s, less than 60s" {
		t.Fatalf("want not blessed on a load test shorter than 60 s: %s\n%s", reason, res)
	}
}

// SBOMs attested by the real cosign (`--type spdxjson`, `--type cyclonedx`: the SBOM document is
// the predicate) reach gate's SBOM gates as gate's own do: the predicate types are cosign's.
func TestCosignAttestedSBOMsReachTheSBOMGates(t *testing.T) {
	requireE2E(t)
	for _, cli := range []cosignCLI{cosignV2(t), cosignV3(t)} {
		t.Run(cli.name, func(t *testing.T) {
			w := newWorld(t)
			r := startDistribution(t, "")
			image := pushImage(t, r.host, "team/app", nil).String()
			key, pub := w.cosignKey(cli, "ci")
			for typ, file := range map[string]string{
				"spdxjson":  filepath.Join(repoRoot, "pkg/report/testdata/spdx/gate-gomod.spdx.json"),
				"cyclonedx": filepath.Join(repoRoot, "pkg/report/testdata/cyclonedx/gate-gomod.cdx-1.6.json"),
			} {
				if res := w.cosignAttest(cli, key, typ, file, image); res.code != 0 {
					t.Fatalf("cosign attest --type %s:\n%s", typ, res)
				}
			}
			cfg := w.evidenceConfig(pub, `{"require_sbom": true, "deny_licenses": ["MPL-2.0"]}`)
			d, res := w.verify(cfg, image)
			if len(d.Evidence) != 2 || len(d.Rejected) != 0 {
				t.Fatalf("want cosign's 2 SBOMs verified:\n%s", res)
			}
			if passed, reason := gatePassed(d, "sbom"); !passed || !strings.HasPrefix(reason, "2 SBOMs of 300 components") {
				t.Errorf("sbom gate: %v %s", passed, reason)
			}
			if passed, reason := gatePassed(d, "sbom/licenses"); passed || !strings.HasPrefix(reason, "3 components under a denied licence") {
				t.Errorf("sbom/licenses gate: %v %s", passed, reason)
			}
		})
	}
}
