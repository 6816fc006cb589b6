package report

import (
	"fmt"
	"strings"
)

// MaxLicenseAlternatives bounds an SPDX licence expression in normal form.
// Real packages offer a handful of licences; (A OR B) AND (C OR D) AND ...
// doubles with each factor, so without a bound a line of text could ask for
// millions.
const MaxLicenseAlternatives = 256

// ParseLicense reads an SPDX licence expression (SPDX 2.3 annex D: OR, AND,
// WITH, parentheses, a trailing +) into disjunctive normal form: a list of
// alternatives, any one of which licenses the package, each the list of
// licences that all apply. "MIT OR (Apache-2.0 AND BSD-3-Clause)" is
// [[MIT] [Apache-2.0 BSD-3-Clause]]. A term with an exception is kept
// whole, "GPL-2.0-only WITH Classpath-exception-2.0". Operators are matched
// in any case, as syft and most tools write them in upper case but not all.
func ParseLicense(expr string) ([][]string, error) {
	p := &licenseParser{toks: licenseTokens(expr)}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("licence expression %q is empty", expr)
	}
	dnf, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("licence expression %q: %w", expr, err)
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("licence expression %q: unexpected %q", expr, p.toks[p.i])
	}
	return dnf, nil
}

func licenseTokens(expr string) []string {
	expr = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr)
	return strings.Fields(expr)
}

type licenseParser struct {
	toks []string
	i    int
}

func (p *licenseParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *licenseParser) or() ([][]string, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "OR") {
		p.i++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = append(left, right...)
		if len(left) > MaxLicenseAlternatives {
			return nil, fmt.Errorf("more than %d alternatives", MaxLicenseAlternatives)
		}
	}
	return left, nil
}

func (p *licenseParser) and() ([][]string, error) {
	left, err := p.atom()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "AND") {
		p.i++
		right, err := p.atom()
		if err != nil {
			return nil, err
		}
		if len(left)*len(right) > MaxLicenseAlternatives {
			return nil, fmt.Errorf("more than %d alternatives", MaxLicenseAlternatives)
		}
		var out [][]string
		for _, l := range left {
			for _, r := range right {
				out = append(out, append(append([]string{}, l...), r...))
			}
		}
		left = out
	}
	return left, nil
}

func (p *licenseParser) atom() ([][]string, error) {
	tok := p.peek()
	switch {
	case tok == "":
		return nil, fmt.Errorf("ends where a licence belongs")
	case tok == "(":
		p.i++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("a parenthesis is not closed")
		}
		p.i++
		return inner, nil
	case tok == ")", isLicenseOperator(tok):
		return nil, fmt.Errorf("unexpected %q where a licence belongs", tok)
	}
	p.i++
	if strings.EqualFold(p.peek(), "WITH") {
		p.i++
		exc := p.peek()
		if exc == "" || exc == "(" || exc == ")" || isLicenseOperator(exc) {
			return nil, fmt.Errorf("WITH after %s names no exception", tok)
		}
		p.i++
		tok += " WITH " + exc
	}
	return [][]string{{tok}}, nil
}

func isLicenseOperator(tok string) bool {
	return strings.EqualFold(tok, "AND") || strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "WITH")
}
