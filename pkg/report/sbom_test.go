package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehq/gate/attestations"
)

// The SBOMs were written by syft v1.57.1 over this repository's go.mod (testdata/SOURCES.md).
var syftSBOMs = []struct {
	file          string
	format        Format
	predicateType string
}{
	{"spdx/gate-gomod.spdx.json", SPDXJSON, attestations.SPDXType},
	{"cyclonedx/gate-gomod.cdx-1.5.json", CycloneDX, attestations.CycloneDXType},
	{"cyclonedx/gate-gomod.cdx-1.6.json", CycloneDX, attestations.CycloneDXType},
	{"cyclonedx/gate-gomod.cdx-1.7.json", CycloneDX, attestations.CycloneDXType},
}

// An SBOM is attested as the document itself, as cosign attests it, and
// either format reads as the same components with the same licences.
func TestParseSyftSBOMs(t *testing.T) {
	var first map[string]Component
	for _, tc := range syftSBOMs {
		t.Run(tc.file, func(t *testing.T) {
			data := readTestdata(t, tc.file)
			r, err := Parse(tc.file, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Format != tc.format || r.PredicateType != tc.predicateType {
				t.Fatalf("read as %s, %s", r.Format, r.PredicateType)
			}
			got, err := json.Marshal(r.Predicate)
			if err != nil || !bytes.Equal(got, bytes.TrimSpace(data)) {
				t.Fatalf("the predicate is not the document itself (%v)", err)
			}
			s, err := NormalizeSBOM(r.PredicateType, data)
			if err != nil {
				t.Fatal(err)
			}
			// 149 Go modules, and the directory scanned (SPDX) or its go.mod (CycloneDX).
			if len(s.Components) != 150 {
				t.Fatalf("%d components, want 150", len(s.Components))
			}
			byPurl := map[string]Component{}
			for _, c := range s.Components {
				if c.Purl != "" {
					byPurl[c.Purl] = c
				}
			}
			if len(byPurl) != 149 {
				t.Fatalf("%d components with a purl, want 149", len(byPurl))
			}
			cobra := byPurl["pkg:golang/github.com/spf13/cobra@v1.10.2"]
			want := Component{Name: "github.com/spf13/cobra", Version: "v1.10.2", Purl: "pkg:golang/github.com/spf13/cobra@v1.10.2",
				Type: "golang", Namespace: "github.com/spf13", PurlName: "cobra", License: "Apache-2.0", Licenses: [][]string{{"Apache-2.0"}}}
			if !reflect.DeepEqual(cobra, want) {
				t.Errorf("cobra:\n got %+v\nwant %+v", cobra, want)
			}
			if l := byPurl["pkg:golang/github.com/hashicorp/go-cleanhttp@v0.5.2"].Licenses; !reflect.DeepEqual(l, [][]string{{"MPL-2.0"}}) {
				t.Errorf("go-cleanhttp: %v, want MPL-2.0", l)
			}
			if first == nil {
				first = byPurl
				return
			}
			// Both formats list the same modules under licences that deny alike.
			for purl, c := range first {
				other, ok := byPurl[purl]
				if !ok {
					t.Errorf("%s is in the SPDX SBOM only", purl)
					continue
				}
				if licenseSet(c.Licenses) != licenseSet(other.Licenses) {
					t.Errorf("%s: licences %v in SPDX, %v here", purl, c.Licenses, other.Licenses)
				}
			}
		})
	}
}

// licenseSet is the licences named in a normal form, sorted and joined:
// SPDX and CycloneDX may order them differently.
func licenseSet(dnf [][]string) string {
	seen := map[string]bool{}
	for _, alt := range dnf {
		for _, l := range alt {
			seen[l] = true
		}
	}
	var out []string
	for l := range seen {
		if !strings.HasPrefix(l, "LicenseRef-") { // syft names unknown licence texts by a digest, differently per format
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// pretty is a real SBOM indented, so that a fault in it has a line of its own.
func pretty(t *testing.T, file string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, readTestdata(t, file), "", "  "); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// lineOf is the 1-based line of the first occurrence of s in text.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q is not in the SBOM", s)
	}
	return 1 + strings.Count(text[:i], "\n")
}

func TestParseSBOMFailsClosed(t *testing.T) {
	spdx := pretty(t, "spdx/gate-gomod.spdx.json")
	cdx := pretty(t, "cyclonedx/gate-gomod.cdx-1.6.json")
	cobraSPDX := `"licenseConcluded": "Apache-2.0",` + "\n" + `      "licenseDeclared": "NOASSERTION",` + "\n" + `      "copyrightText": "NOASSERTION",` + "\n" + `      "externalRefs": [` + "\n" + `        {` + "\n" + `          "referenceCategory": "SECURITY",` + "\n" + `          "referenceType": "cpe23Type",` + "\n" + `          "referenceLocator": "cpe:2.3:a:spf13:cobra`
	if !strings.Contains(spdx, cobraSPDX) {
		t.Fatal("cobra's licence is not where the test expects it in the SPDX SBOM")
	}
	for _, tc := range []struct {
		desc, data string
		format     Format
		line       int
		message    string
	}{
		// Its format cannot be told, so it is named by its last line.
		{"SPDX cut short", spdx[:len(spdx)/2], "", 1 + strings.Count(spdx[:len(spdx)/2], "\n"), "unexpected end of JSON input"},
		{"SPDX 2.2", strings.Replace(spdx, `"SPDX-2.3"`, `"SPDX-2.2"`, 1), SPDXJSON, 2, `spdxVersion "SPDX-2.2"`},
		{"SPDX licence that does not parse", strings.Replace(spdx, cobraSPDX, strings.Replace(cobraSPDX, `"Apache-2.0"`, `"Apache-2.0 OR (MIT"`, 1), 1), SPDXJSON,
			lineOf(t, spdx, cobraSPDX), "(github.com/spf13/cobra): licence expression \"Apache-2.0 OR (MIT\": a parenthesis is not closed"},
		{"SPDX package with a key twice", strings.Replace(spdx, cobraSPDX, `"LicenseConcluded": "MIT",`+"\n"+cobraSPDX, 1), SPDXJSON,
			lineOf(t, spdx, cobraSPDX) + 1, `key "LicenseConcluded" is in one object again as "licenseConcluded"`},
		{"CycloneDX 1.4", strings.Replace(cdx, `"specVersion": "1.6"`, `"specVersion": "1.4"`, 1), CycloneDX, lineOf(t, cdx, `"specVersion"`), `specVersion "1.4"`},
		{"CycloneDX purl that is no purl", strings.Replace(cdx, `"purl": "pkg:golang/github.com/spf13/cobra@v1.10.2"`, `"purl": "golang/cobra"`, 1), CycloneDX,
			lineOf(t, cdx, `"purl": "pkg:golang/github.com/spf13/cobra@v1.10.2"`), `purl "golang/cobra"`},
		{"CycloneDX component without a name", strings.Replace(cdx, `"name": "github.com/spf13/cobra",`, `"name": "",`, 1), CycloneDX,
			lineOf(t, cdx, `"purl": "pkg:golang/github.com/spf13/cobra@v1.10.2"`), "has no name"},
		{"CycloneDX licences that are a string", strings.Replace(cdx, `"licenses": [`, `"licenses": "MIT", "x": [`, 1), CycloneDX,
			lineOf(t, cdx, `"licenses": [`), "components.licenses is a JSON string, where an array belongs"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Parse("sbom.json", []byte(tc.data), Options{})
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "sbom.json" || pe.Format != tc.format || pe.Line != tc.line || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("Parse = %v; want sbom.json:%d, %s, saying %q", err, tc.line, tc.format, tc.message)
			}
		})
	}
}

// SBOMs made to cost gate more than any real one does are refused.
func TestHostileSBOMsAreRefused(t *testing.T) {
	var entries []string
	for range 10 {
		entries = append(entries, `{"expression": "MIT OR Apache-2.0"}`) // each entry applies: 2^10 ways
	}
	explosive := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "x", "licenses": [` + strings.Join(entries, ", ") + `]}]}`
	deep := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [` + strings.Repeat(`{"name": "x", "components": [`, MaxNesting) + strings.Repeat(`]}`, MaxNesting) + `]}`
	for _, tc := range []struct{ desc, data, message string }{
		{"licences whose normal form explodes", explosive, "more than 256 alternatives"},
		{"components nested past MaxNesting", deep, "nested deeper than"},
	} {
		_, err := Parse("bom.json", []byte(tc.data), Options{})
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "bom.json" || pe.Line != 1 || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: %v; want bom.json:1 saying %q", tc.desc, err, tc.message)
		}
	}
}

func TestSBOMTooLargeToAttestIsRefused(t *testing.T) {
	big := `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "comment": "` + strings.Repeat("x", MaxPredicateSize) + `", "packages": []}`
	if _, err := Parse("big.spdx.json", []byte(big), Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an SBOM over MaxPredicateSize: %v, want ErrTooLarge", err)
	}
}
