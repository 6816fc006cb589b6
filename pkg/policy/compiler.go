package policy

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// deniedBuiltins are refused at compile time, each for its reason: a decision
// must follow from its input and params alone, so that a cached or recorded
// decision can be replayed, and an admission request never waits on the
// network.
var deniedBuiltins = map[string]string{
	"http.send":          "network",
	"net.lookup_ip_addr": "network",
	"opa.runtime":        "exposes the process environment",
	"time.now_ns":        "the time of a decision is input.now",
	"rand.intn":          "nondeterministic",
	"uuid.rfc4122":       "nondeterministic",
}

// capabilities are OPA's, less deniedBuiltins and any network access. They
// are built once: OPA sorts its ~200 builtins to build them, and every file
// parsed and every compiler reads them (OPA only reads them).
var capabilities = sync.OnceValue(func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	kept := c.Builtins[:0]
	for _, b := range c.Builtins {
		if _, denied := deniedBuiltins[b.Name]; !denied {
			kept = append(kept, b)
		}
	}
	c.Builtins = kept
	c.AllowNet = []string{}
	return c
})

// newCompiler is the compiler for policies and for their tests alike, so that
// a test cannot pass on what the policy may not do.
func newCompiler() *ast.Compiler {
	return ast.NewCompiler().WithStrict(true).WithCapabilities(capabilities())
}
