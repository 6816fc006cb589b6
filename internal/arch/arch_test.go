package arch

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Doc        string
	Deps       []string
	Imports    []string
}

func list(t *testing.T, pattern string) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

const mod = "github.com/gatehq/gate/"

// forbidden lists, for each library package, what it must not depend on, so
// that every arrow points inward: registry I/O, crypto and Rego know nothing
// of each other, and nothing in pkg/ knows about the CLI or Kubernetes.
// gate's own packages are checked among all dependencies; third-party
// modules among direct imports (sigstore's libraries, for one, import
// go-containerregistry's name package themselves).
var forbidden = map[string][]string{
	mod + "pkg/oci":    {mod + "pkg/verify", mod + "pkg/policy", mod + "pkg/sign", mod + "pkg/gate", "github.com/open-policy-agent/", "github.com/sigstore/"},
	mod + "pkg/sign":   {mod + "pkg/oci", mod + "pkg/verify", mod + "pkg/policy", "github.com/google/go-containerregistry/", "github.com/open-policy-agent/"},
	mod + "pkg/verify": {mod + "pkg/oci", mod + "pkg/policy", mod + "pkg/sign", "github.com/google/go-containerregistry/", "github.com/open-policy-agent/"},
	mod + "pkg/policy": {mod + "pkg/oci", mod + "pkg/verify", mod + "pkg/sign", "github.com/google/go-containerregistry/", "github.com/sigstore/"},
	mod + "pkg/report": {mod + "pkg/", "github.com/google/go-containerregistry/", "github.com/sigstore/", "github.com/open-policy-agent/"},
	// Every layer may import jsonstrict, so it imports nothing but the
	// standard library (direct imports suffice: the standard library imports
	// no module).
	mod + "internal/jsonstrict": {mod, "github.com/", "golang.org/", "google.golang.org/", "gopkg.in/", "k8s.io/"},
	// startgc must be initialized before the heavy packages, which Go does
	// only for a package whose imports are all initialized by then: the
	// standard library alone.
	mod + "internal/startgc": {mod, "github.com/", "golang.org/", "google.golang.org/", "gopkg.in/", "k8s.io/"},
	// The release table reads through pkg/gate's verification, never around
	// it (no crypto or Rego of its own), and knows nothing of the page built on it.
	mod + "pkg/release": {mod + "pkg/readiness", "github.com/sigstore/", "github.com/open-policy-agent/"},
	// The chat answers from release tables: it calls no registry, crypto or Rego itself.
	mod + "pkg/chatops": {"github.com/google/go-containerregistry/", "github.com/sigstore/", "github.com/open-policy-agent/", mod + "pkg/readiness"},
	// Freezes are read through pkg/verify's trust and judged by pkg/policy, never around them.
	mod + "pkg/freeze": {mod + "pkg/admit", mod + "pkg/release", mod + "pkg/readiness", mod + "pkg/chatops", "github.com/sigstore/", "github.com/open-policy-agent/", "github.com/google/go-containerregistry/"},
	// Notifications are built from release tables: no registry, crypto or Rego of their own.
	mod + "pkg/notify": {mod + "pkg/readiness", mod + "pkg/chatops", "github.com/google/go-containerregistry/", "github.com/sigstore/", "github.com/open-policy-agent/"},
	// The page renders release tables: it calls no registry, crypto or Rego itself.
	mod + "pkg/readiness": {"github.com/google/go-containerregistry/", "github.com/sigstore/", "github.com/open-policy-agent/"},
	mod + "pkg/promote":   {mod + "pkg/admit", "github.com/open-policy-agent/", "github.com/sigstore/"},
	// A chart is decided through pkg/gate's verification, never around it.
	mod + "pkg/chart": {mod + "pkg/admit", "github.com/sigstore/", "github.com/open-policy-agent/"},
	// Policy bundles are verified through pkg/gate's verification (no crypto of their own) and
	// know nothing of the servers that follow them.
	mod + "pkg/bundle": {mod + "pkg/admit", mod + "pkg/release", mod + "pkg/readiness", mod + "pkg/chatops", mod + "pkg/notify", mod + "pkg/promote", mod + "pkg/freeze", "github.com/sigstore/"},
}

// nowhereInPkg may be imported by no package under pkg/ or attestations/.
var nowhereInPkg = []string{"github.com/spf13/cobra", "k8s.io/client-go", mod + "cmd/", mod + "admission", "github.com/chromedp/"}

func TestDependenciesPointInward(t *testing.T) {
	var pkgs []pkg
	for _, pattern := range []string{"../../pkg/...", "../../attestations/...", "../../internal/jsonstrict", "../../internal/startgc"} {
		pkgs = append(pkgs, list(t, pattern)...)
	}
	for _, p := range pkgs {
		bad := append([]string{}, nowhereInPkg...)
		bad = append(bad, forbidden[p.ImportPath]...)
		for _, b := range bad {
			deps := p.Imports
			if strings.HasPrefix(b, mod) || b == "github.com/spf13/cobra" || b == "k8s.io/client-go" {
				deps = p.Deps
			}
			for _, d := range deps {
				if strings.HasPrefix(d, b) && d != p.ImportPath {
					t.Errorf("%s depends on %s", p.ImportPath, d)
				}
			}
		}
	}
}

// TestNothingLinksHelmsSDK keeps Helm's SDK out of every gate program:
// linked, its packages' initialization alone cost every gate command,
// gate version included, about 5 ms of start-up (jsonschema, sprig,
// apiextensions). Charts render through the helm program (pkg/chart).
func TestNothingLinksHelmsSDK(t *testing.T) {
	for _, p := range list(t, "../../...") {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "helm.sh/") {
				t.Errorf("%s depends on %s: render charts with helm template through pkg/chart", p.ImportPath, d)
				break
			}
		}
	}
}

// TestTheCLILinksNoKubernetesClient keeps Kubernetes' client libraries
// (client-go, the API types and machinery) in gate-webhook: linked into
// gate, their initialization cost every gate command about 4 ms of
// start-up and the binary 65 MB. gate check reads manifests through
// admission/workload, which needs none of them.
func TestTheCLILinksNoKubernetesClient(t *testing.T) {
	for _, pattern := range []string{"../../cmd/gate", "../../admission/workload", "../../internal/check"} {
		for _, p := range list(t, pattern) {
			for _, d := range p.Deps {
				if strings.HasPrefix(d, "k8s.io/client-go") || strings.HasPrefix(d, "k8s.io/api/") || strings.HasPrefix(d, "k8s.io/apimachinery") {
					t.Errorf("%s depends on %s: the Kubernetes client belongs in gate-webhook (cmd/gate-webhook, admission)", p.ImportPath, d)
					break
				}
			}
		}
	}
}

func TestEveryPackageSaysWhatItIs(t *testing.T) {
	for _, p := range list(t, "../../...") {
		if p.Doc == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
	}
}
