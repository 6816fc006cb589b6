package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehq/gate/attestations"
)

// lcovFile is what the records of one source file say.
type lcovFile struct {
	lines    map[int]bool    // whether each DA line was hit
	branches map[string]bool // whether each BRDA branch was taken
	// The summaries, used only when a record gives no DA or BRDA lines.
	linesFound, linesHit, branchesFound, branchesHit int
}

// parseLCOV reads an LCOV tracefile: per source file, a record from "SF:"
// to "end_of_record". Lines and branches are counted from the DA and BRDA
// lines, each once per file however many records (tests) name it, hit if
// any record hit it; a file with none counts by its LF/LH and BRF/BRH
// summaries. A record left open at the end means the file was cut short.
func parseLCOV(data []byte) (*attestations.Coverage, error) {
	files := map[string]*lcovFile{}
	var (
		current *lcovFile
		source  string
		lineNo  int
	)
	for line := range bytes.Lines(data) {
		lineNo++
		text := strings.TrimSpace(string(line))
		if text == "" {
			continue
		}
		if text == "end_of_record" {
			if current == nil {
				return nil, atLine(lineNo, "end_of_record outside a record")
			}
			current = nil
			continue
		}
		key, value, ok := strings.Cut(text, ":")
		if !ok {
			return nil, atLine(lineNo, "malformed line %q", clip([]byte(text)))
		}
		if key == "SF" {
			if current != nil {
				return nil, atLine(lineNo, "SF before the end_of_record of %s", source)
			}
			source = value
			if files[source] == nil {
				files[source] = &lcovFile{lines: map[int]bool{}, branches: map[string]bool{}}
			}
			current = files[source]
			continue
		}
		if current == nil {
			switch key {
			case "DA", "BRDA", "LF", "LH", "BRF", "BRH":
				return nil, atLine(lineNo, "%s outside a record (no SF before it)", key)
			}
			continue // TN and the like
		}
		if err := current.add(key, value); err != nil {
			return nil, atLine(lineNo, "%s: %v", key, err)
		}
	}
	if current != nil {
		return nil, atLine(lineNo, "the record of %s has no end_of_record: the file is cut short", source)
	}

	c := &attestations.Coverage{Format: string(LCOV), Unit: "lines", Files: len(files)}
	for _, f := range files {
		covered, total := hits(f.lines), len(f.lines)
		if total == 0 {
			covered, total = f.linesHit, f.linesFound
		}
		c.Covered += covered
		c.Total += total
		covered, total = hits(f.branches), len(f.branches)
		if total == 0 {
			covered, total = f.branchesHit, f.branchesFound
		}
		c.BranchesCovered += covered
		c.BranchesTotal += total
	}
	if c.Total == 0 {
		return nil, errNothingCovered("lines", "no record has DA lines or an LF above 0; run the coverage tool over the code to measure")
	}
	if c.Covered > c.Total || c.BranchesCovered > c.BranchesTotal {
		return nil, fmt.Errorf("more hit than found: lines %d/%d, branches %d/%d",
			c.Covered, c.Total, c.BranchesCovered, c.BranchesTotal)
	}
	c.Percent = percent(c.Covered, c.Total)
	return c, nil
}

// add reads one line of a record; lines that do not count lines or branches
// (functions, test names, versions) are skipped.
func (f *lcovFile) add(key, value string) error {
	fields := strings.Split(value, ",")
	switch key {
	case "DA": // line,count[,checksum]
		if len(fields) < 2 || len(fields) > 3 {
			return fmt.Errorf("%q: want line,count[,checksum]", value)
		}
		line, err := parseCount(fields[0])
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(fields[1], 10, 64) // gcov may write negative counts
		if err != nil {
			return fmt.Errorf("count %q is not a number", fields[1])
		}
		f.lines[line] = f.lines[line] || n > 0
	case "BRDA": // line,block,branch,taken where taken is "-" when the block never ran
		if len(fields) != 4 {
			return fmt.Errorf("%q: want line,block,branch,taken", value)
		}
		taken := int64(0)
		if fields[3] != "-" {
			var err error
			if taken, err = strconv.ParseInt(fields[3], 10, 64); err != nil {
				return fmt.Errorf("taken %q is not a number or -", fields[3])
			}
		}
		id := strings.Join(fields[:3], ",")
		f.branches[id] = f.branches[id] || taken > 0
	case "LF", "LH", "BRF", "BRH":
		n, err := parseCount(value)
		if err != nil {
			return err
		}
		switch key {
		case "LF":
			f.linesFound += n
		case "LH":
			f.linesHit += n
		case "BRF":
			f.branchesFound += n
		case "BRH":
			f.branchesHit += n
		}
	}
	return nil
}

func hits[K comparable](m map[K]bool) int {
	n := 0
	for _, hit := range m {
		if hit {
			n++
		}
	}
	return n
}
