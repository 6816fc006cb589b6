package arch

import (
	"strings"
	"testing"
)

// TestGateDoesNotShipItsImageBuilder keeps internal/image (the build tool behind make image)
// out of the gate binary: users download gate, not the machinery that packs it.
func TestGateDoesNotShipItsImageBuilder(t *testing.T) {
	for _, p := range list(t, "../../cmd/...") {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, mod+"internal/image") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
	}
}
