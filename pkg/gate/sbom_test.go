package gate

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehq/gate/attestations"
	"github.com/gatehq/gate/pkg/verify"
)

func TestNormalizeSBOM(t *testing.T) {
	evidence := func(predicateType, predicate string) *verify.Evidence {
		ev := &verify.Evidence{PredicateType: predicateType, Raw: json.RawMessage(predicate)}
		if err := json.Unmarshal([]byte(predicate), &ev.Predicate); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	cdx := evidence(attestations.CycloneDXType, `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
		{"name": "net", "group": "golang.org/x", "version": "v0.22.0", "purl": "pkg:golang/golang.org/x/net@v0.22.0",
		 "licenses": [{"expression": "MIT OR (Apache-2.0 AND BSD-3-Clause)"}]}]}`)
	if err := normalizeSBOM(cdx); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(cdx.Predicate)
	want := `{"components":[{"license":"(MIT OR (Apache-2.0 AND BSD-3-Clause))","licenses":[["MIT"],["Apache-2.0","BSD-3-Clause"]],"name":"golang.org/x/net","namespace":"golang.org/x","purl":"pkg:golang/golang.org/x/net@v0.22.0","purlName":"net","type":"golang","version":"v0.22.0"}],"format":"cyclonedx"}`
	if string(got) != want {
		t.Errorf("normalised CycloneDX:\n got %s\nwant %s", got, want)
	}

	bad := evidence(attestations.SPDXType, `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [
		{"SPDXID": "SPDXRef-p", "name": "p", "licenseConcluded": "MIT OR"}]}`)
	if err := normalizeSBOM(bad); !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("an SBOM whose licence does not parse: %v, want ErrMalformed", err)
	}

	other := evidence(attestations.CoverageType, `{"percent": 80}`)
	if err := normalizeSBOM(other); err != nil || other.Predicate["percent"] != 80.0 {
		t.Errorf("evidence of another type must be left alone: %v %v", err, other.Predicate)
	}
}
