package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehq/gate/attestations"
	"github.com/package-url/packageurl-go"
)

// MaxComponents bounds the components an SBOM may list. syft's SBOM of a
// large distro image lists some tens of thousands of packages; a million is
// no real image, and each one costs the policy an evaluation.
const MaxComponents = 1_000_000

// SBOMSummary is what the policy reads of an SBOM, whichever its format:
// the components with their licences and package URLs.
type SBOMSummary struct {
	// Format is "spdx" or "cyclonedx".
	Format     string      `json:"format"`
	Components []Component `json:"components"`
}

// Component is one package an SBOM lists.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Purl is the package URL as the SBOM gives it; Type, Namespace and
	// PurlName are its parts, empty when it has none.
	Purl      string `json:"purl,omitempty"`
	Type      string `json:"type,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	PurlName  string `json:"purlName,omitempty"`
	// License is the SPDX licence expression as written; empty when the SBOM
	// asserts none (absent, NOASSERTION, NONE).
	License string `json:"license,omitempty"`
	// Licenses is License in disjunctive normal form: the component may be
	// used under any one of the inner lists, each of whose licences applies.
	Licenses [][]string `json:"licenses,omitempty"`
}

// sbomDocument is an SBOM attested as it is: cosign's predicate for an SBOM
// is the document itself.
type sbomDocument struct {
	raw json.RawMessage
}

func (d sbomDocument) MarshalJSON() ([]byte, error) { return d.raw, nil }

type spdxDoc struct {
	SPDXVersion string `json:"spdxVersion"`
	SPDXID      string `json:"SPDXID"`
	Packages    []struct {
		SPDXID           string `json:"SPDXID"`
		Name             string `json:"name"`
		VersionInfo      string `json:"versionInfo"`
		LicenseConcluded string `json:"licenseConcluded"`
		LicenseDeclared  string `json:"licenseDeclared"`
		ExternalRefs     []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
}

type cdxDoc struct {
	BOMFormat   string         `json:"bomFormat"`
	SpecVersion string         `json:"specVersion"`
	Components  []cdxComponent `json:"components"`
}

type cdxComponent struct {
	Name     string `json:"name"`
	Group    string `json:"group"`
	Version  string `json:"version"`
	Purl     string `json:"purl"`
	Licenses []struct {
		License *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"license"`
		Expression string `json:"expression"`
	} `json:"licenses"`
	Components []cdxComponent `json:"components"`
}

// parseSPDX reads an SPDX 2.3 JSON document, as syft -o spdx-json writes it.
func parseSPDX(data []byte) (any, error) {
	if err := sbomSize(data); err != nil {
		return nil, err
	}
	if _, err := summarizeSPDX(data); err != nil {
		return nil, err
	}
	return sbomDocument{raw: json.RawMessage(data)}, nil
}

// parseCycloneDX reads a CycloneDX 1.5, 1.6 or 1.7 JSON BOM, as syft -o cyclonedx-json writes it.
func parseCycloneDX(data []byte) (any, error) {
	if err := sbomSize(data); err != nil {
		return nil, err
	}
	if _, err := summarizeCycloneDX(data); err != nil {
		return nil, err
	}
	return sbomDocument{raw: json.RawMessage(data)}, nil
}

// sbomSize refuses an SBOM too large to be attested as it is.
func sbomSize(data []byte) error {
	if len(data) > MaxPredicateSize {
		return fmt.Errorf("%w: %d bytes, an SBOM is attested whole and at most %d fit a bundle a verifier reads; "+
			"make it of the image alone, or attest a smaller format", ErrTooLarge, len(data), MaxPredicateSize)
	}
	return nil
}

// NormalizeSBOM reads the predicate of an SBOM attestation, of predicateType
// attestations.SPDXType or CycloneDXType, into the summary the policy reads,
// so that both formats count alike. It fails closed: an SBOM it cannot read
// wholly (a licence expression that does not parse, a purl that is not one)
// is an error, never an SBOM of fewer components.
func NormalizeSBOM(predicateType string, predicate []byte) (*SBOMSummary, error) {
	if err := checkJSONKeys(predicate); err != nil {
		return nil, err
	}
	switch predicateType {
	case attestations.SPDXType:
		return summarizeSPDX(predicate)
	case attestations.CycloneDXType:
		return summarizeCycloneDX(predicate)
	}
	return nil, fmt.Errorf("%w: predicate type %q is not an SBOM", ErrUnknownFormat, predicateType)
}

func summarizeSPDX(data []byte) (*SBOMSummary, error) {
	var doc spdxDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(data, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		return nil, atLine(keyLine(data, "spdxVersion"), "spdxVersion %q: gate reads SPDX-2.3 (syft -o spdx-json@2.3)", doc.SPDXVersion)
	}
	if len(doc.Packages) > MaxComponents {
		return nil, fmt.Errorf("%d packages, more than %d: no real SBOM lists so many", len(doc.Packages), MaxComponents)
	}
	s := &SBOMSummary{Format: "spdx", Components: make([]Component, 0, len(doc.Packages))}
	for i, p := range doc.Packages {
		c := Component{Name: p.Name, Version: p.VersionInfo}
		if c.Name == "" {
			return nil, atLine(valueLine(data, p.SPDXID, "packages"), "packages[%d] has no name", i)
		}
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" && c.Purl == "" {
				c.Purl = r.Locator
			}
		}
		c.License = spdxLicense(p.LicenseConcluded, p.LicenseDeclared)
		if bad, err := c.complete(); err != nil {
			return nil, atLine(valueLine(data, bad, "packages"), "packages[%d] (%s): %v", i, c.Name, err)
		}
		s.Components = append(s.Components, c)
	}
	return s, nil
}

// spdxLicense is the licence a package is under: the concluded one, or the
// declared one where nothing was concluded.
func spdxLicense(concluded, declared string) string {
	for _, l := range []string{concluded, declared} {
		if l != "" && l != "NOASSERTION" && l != "NONE" {
			return l
		}
	}
	return ""
}

func summarizeCycloneDX(data []byte) (*SBOMSummary, error) {
	var doc cdxDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(data, err)
	}
	if doc.BOMFormat != "CycloneDX" {
		return nil, atLine(keyLine(data, "bomFormat"), "bomFormat %q is not CycloneDX", doc.BOMFormat)
	}
	// syft v1.57 writes 1.7 by default; its components and licences are 1.6's.
	if doc.SpecVersion != "1.5" && doc.SpecVersion != "1.6" && doc.SpecVersion != "1.7" {
		return nil, atLine(keyLine(data, "specVersion"), "specVersion %q: gate reads CycloneDX 1.5, 1.6 and 1.7", doc.SpecVersion)
	}
	s := &SBOMSummary{Format: "cyclonedx", Components: []Component{}}
	var walk func(cs []cdxComponent) error
	walk = func(cs []cdxComponent) error {
		for i, x := range cs {
			if len(s.Components) == MaxComponents {
				return fmt.Errorf("more than %d components: no real SBOM lists so many", MaxComponents)
			}
			c := Component{Name: x.Name, Version: x.Version, Purl: x.Purl}
			if x.Group != "" {
				c.Name = x.Group + "/" + x.Name
			}
			if x.Name == "" {
				return atLine(valueLine(data, x.Purl, "components"), "components[%d] has no name", i)
			}
			var parts []string
			for _, l := range x.Licenses {
				switch {
				case l.Expression != "":
					parts = append(parts, "("+l.Expression+")")
				case l.License != nil && l.License.ID != "":
					parts = append(parts, l.License.ID)
				case l.License != nil && l.License.Name != "":
					// A name is no SPDX id; it is matched as written.
					parts = append(parts, licenseRef(l.License.Name))
				}
			}
			// Several entries all apply: CycloneDX lists them side by side.
			c.License = strings.Join(parts, " AND ")
			if bad, err := c.complete(); err != nil {
				return atLine(valueLine(data, bad, "components"), "components[%d] (%s): %v", i, c.Name, err)
			}
			s.Components = append(s.Components, c)
			if err := walk(x.Components); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Components); err != nil {
		return nil, err
	}
	return s, nil
}

// licenseRef makes a free-text licence name into one term of an expression.
func licenseRef(name string) string {
	return "LicenseRef-" + strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, name)
}

// complete fills the parts of c's purl and its licences in normal form. On
// a fault it also says the value at fault, for finding its line.
func (c *Component) complete() (string, error) {
	if c.Purl != "" {
		p, err := packageurl.FromString(c.Purl)
		if err != nil {
			return c.Purl, fmt.Errorf("purl %q: %w", c.Purl, err)
		}
		c.Type, c.Namespace, c.PurlName = p.Type, p.Namespace, p.Name
		if c.Version == "" {
			c.Version = p.Version
		}
	}
	if c.License != "" {
		dnf, err := ParseLicense(c.License)
		if err != nil {
			return strings.Trim(c.License, "()"), err
		}
		c.Licenses = dnf
	}
	return "", nil
}

// keyLine is the line of the first "key" in data; 0 when it is not there.
func keyLine(data []byte, key string) int {
	q, _ := json.Marshal(key)
	i := strings.Index(string(data), string(q))
	if i < 0 {
		return 0
	}
	return lineAt(data, int64(i))
}

// valueLine is the line of the first string value in data equal to value
// (the faulty purl or licence), or else of the first key named key.
func valueLine(data []byte, value, key string) int {
	if value != "" {
		q, _ := json.Marshal(value)
		for i := 0; ; {
			j := strings.Index(string(data[i:]), string(q))
			if j < 0 {
				break
			}
			j += i
			before := strings.TrimRight(string(data[:j]), " \t\r\n")
			if strings.HasSuffix(before, ":") {
				return lineAt(data, int64(j))
			}
			i = j + len(q)
		}
	}
	return keyLine(data, key)
}
