package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
)

// Detect tells a report's format from its content alone: JSON by its
// top-level keys (go test -json by the Action of its first event), XML by its
// root element, text by its first line. A report it cannot tell is an error
// wrapping ErrUnknownFormat, or ErrEmpty.
func Detect(data []byte) (Format, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	text := bytes.TrimLeft(data, " \t\r\n")
	if len(text) == 0 {
		return "", ErrEmpty
	}
	switch text[0] {
	case '{':
		return detectJSON(data)
	case '<':
		return detectXML(data)
	}
	first, _, _ := bytes.Cut(text, []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	switch {
	case bytes.HasPrefix(first, []byte("mode: ")):
		return GoCover, nil
	case bytes.HasPrefix(first, []byte("TN:")), bytes.HasPrefix(first, []byte("SF:")):
		return LCOV, nil
	}
	return "", fmt.Errorf("%w: text starting %q", ErrUnknownFormat, clip(first))
}

func detectJSON(data []byte) (Format, error) {
	// go test -json is one event per line; every other format is one document.
	first, _, _ := bytes.Cut(bytes.TrimLeft(data, " \t\r\n"), []byte("\n"))
	var event struct{ Action *string }
	if json.Unmarshal(first, &event) == nil && event.Action != nil {
		return GoTestJSON, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return "", jsonError(data, fmt.Errorf("reading JSON to tell its format: %w", err))
	}
	has := func(key string) bool { _, ok := keys[key]; return ok }
	switch {
	case has("SchemaVersion") && (has("ArtifactName") || has("Results")):
		return Trivy, nil
	case has("matches") && (has("descriptor") || has("source")):
		return Grype, nil
	case has("spdxVersion") && has("SPDXID"):
		return SPDXJSON, nil
	case has("bomFormat") && has("specVersion"):
		return CycloneDX, nil
	case has("latencies") && has("requests") && has("success"):
		return Vegeta, nil
	case has("runs") && (has("version") || strings.Contains(strings.ToLower(string(keys["$schema"])), "sarif")):
		return SARIF, nil
	}
	return "", fmt.Errorf("%w: JSON with none of the keys of Trivy, Grype, SARIF, go test, SPDX, CycloneDX or vegeta", ErrUnknownFormat)
}

func detectXML(data []byte) (Format, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", xmlError(dec, err)
		}
		if root, ok := tok.(xml.StartElement); ok {
			switch root.Name.Local {
			case "testsuites", "testsuite":
				return JUnit, nil
			case "coverage":
				return Cobertura, nil
			}
			return "", fmt.Errorf("%w: XML with root element <%s>", ErrUnknownFormat, root.Name.Local)
		}
	}
}

// clip shortens a line of a report for an error message.
func clip(line []byte) string {
	const limit = 60
	if len(line) > limit {
		return string(line[:limit]) + "..."
	}
	return string(line)
}
