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
	mod + "pkg/oci":     {mod + "pkg/verify", mod + "pkg/policy", mod + "pkg/sign", mod + "pkg/gate", "github.com/open-policy-agent/", "github.com/sigstore/"},
	mod + "pkg/sign":    {mod + "pkg/oci", mod + "pkg/verify", mod + "pkg/policy", "github.com/google/go-containerregistry/", "github.com/open-policy-agent/"},
	mod + "pkg/verify":  {mod + "pkg/oci", mod + "pkg/policy", mod + "pkg/sign", "github.com/google/go-containerregistry/", "github.com/open-policy-agent/"},
	mod + "pkg/policy":  {mod + "pkg/oci", mod + "pkg/verify", mod + "pkg/sign", "github.com/google/go-containerregistry/", "github.com/sigstore/"},
	mod + "pkg/promote": {mod + "pkg/admit", "github.com/open-policy-agent/", "github.com/sigstore/"},
	mod + "pkg/report":  {mod + "pkg/", "github.com/google/go-containerregistry/", "github.com/sigstore/", "github.com/open-policy-agent/"},
}

// nowhereInPkg may be imported by no package under pkg/ or attestations/.
var nowhereInPkg = []string{"github.com/spf13/cobra", "k8s.io/client-go", mod + "cmd/", mod + "admission"}

func TestDependenciesPointInward(t *testing.T) {
	for _, p := range append(list(t, "../../pkg/..."), list(t, "../../attestations/...")...) {
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

func TestEveryPackageSaysWhatItIs(t *testing.T) {
	for _, p := range list(t, "../../...") {
		if p.Doc == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
	}
}
