package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"

	"github.com/gatehq/gate/attestations"
)

// parseCobertura reads Cobertura XML. Its totals are the root's lines-covered
// and lines-valid, which gcovr, coverage.py and Cobertura itself write; when
// they are missing they are counted from the <line> elements of each <class>
// (not of its methods, which repeat them). A report with no lines to count
// is refused, whatever its line-rate says.
func parseCobertura(data []byte) (*attestations.Coverage, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	c := &attestations.Coverage{Format: string(Cobertura), Unit: "lines"}
	var (
		path     []string // local names of the open elements
		file     string   // filename of the open class
		files    = map[string]bool{}
		lines    = map[string]bool{} // whether each "file:number" was hit
		root     map[string]string
		rootLine int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlError(dec, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if len(path) == MaxNesting {
				return nil, tooDeep(dec)
			}
			path = append(path, el.Name.Local)
			line, _ := dec.InputPos()
			switch {
			case len(path) == 1:
				if el.Name.Local != "coverage" {
					return nil, atLine(line, "root element is <%s>, not <coverage>", el.Name.Local)
				}
				root, rootLine = attrs(el), line
			case el.Name.Local == "class":
				file = attrs(el)["filename"]
				files[file] = true
			case el.Name.Local == "line" && len(path) >= 3 && path[len(path)-2] == "lines" && path[len(path)-3] == "class":
				a := attrs(el)
				hits, err := strconv.ParseInt(a["hits"], 10, 64)
				if err != nil {
					return nil, atLine(line, "line hits %q is not a whole number", a["hits"])
				}
				key := file + ":" + a["number"]
				lines[key] = lines[key] || hits > 0
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	if root == nil {
		return nil, errors.New("no <coverage> element")
	}

	counts := []struct {
		attr string
		into *int
	}{
		{"lines-covered", &c.Covered}, {"lines-valid", &c.Total},
		{"branches-covered", &c.BranchesCovered}, {"branches-valid", &c.BranchesTotal},
	}
	for _, n := range counts {
		if v, ok := root[n.attr]; ok {
			var err error
			if *n.into, err = parseCount(v); err != nil {
				return nil, atLine(rootLine, "%s: %v", n.attr, err)
			}
		}
	}
	if _, ok := root["lines-valid"]; !ok {
		c.Covered, c.Total = hits(lines), len(lines)
	}
	if c.Covered > c.Total || c.BranchesCovered > c.BranchesTotal {
		return nil, atLine(rootLine, "more covered than valid: lines %d/%d, branches %d/%d",
			c.Covered, c.Total, c.BranchesCovered, c.BranchesTotal)
	}
	if c.Total == 0 {
		// line-rate alone is a claim with nothing under it: a report of no
		// lines says line-rate="1" as readily as "0".
		return nil, &ParseError{Line: rootLine, Err: errNothingCovered("lines",
			"lines-valid is 0 or missing and no class has a <line>, so its line-rate counts nothing; "+
				"run the coverage tool over the code to measure")}
	}
	c.Files = len(files)
	c.Percent = percent(c.Covered, c.Total)
	return c, nil
}

// attrs are an element's attributes by local name.
func attrs(el xml.StartElement) map[string]string {
	m := make(map[string]string, len(el.Attr))
	for _, a := range el.Attr {
		m[a.Name.Local] = a.Value
	}
	return m
}
