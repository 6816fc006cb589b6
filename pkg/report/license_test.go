package report

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLicense(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want [][]string
	}{
		{"MIT", [][]string{{"MIT"}}},
		{"MIT OR Apache-2.0", [][]string{{"MIT"}, {"Apache-2.0"}}},
		{"MIT AND BSD-3-Clause", [][]string{{"MIT", "BSD-3-Clause"}}},
		{"MIT OR Apache-2.0 AND BSD-3-Clause", [][]string{{"MIT"}, {"Apache-2.0", "BSD-3-Clause"}}}, // AND binds tighter
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", [][]string{{"MIT", "BSD-3-Clause"}, {"Apache-2.0", "BSD-3-Clause"}}},
		{"((MIT))", [][]string{{"MIT"}}},
		{"(MIT OR GPL-3.0-only) AND (AGPL-3.0-only OR Apache-2.0)", [][]string{
			{"MIT", "AGPL-3.0-only"}, {"MIT", "Apache-2.0"}, {"GPL-3.0-only", "AGPL-3.0-only"}, {"GPL-3.0-only", "Apache-2.0"}}},
		{"GPL-2.0-only WITH Classpath-exception-2.0 OR MIT", [][]string{{"GPL-2.0-only WITH Classpath-exception-2.0"}, {"MIT"}}},
		{"GPL-2.0+ or mit", [][]string{{"GPL-2.0+"}, {"mit"}}},
		{"LicenseRef-scancode-public-domain", [][]string{{"LicenseRef-scancode-public-domain"}}},
	} {
		got, err := ParseLicense(tc.expr)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseLicense(%q) = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
}

func TestParseLicenseRefuses(t *testing.T) {
	many := strings.Repeat("(A OR B) AND ", 9) + "C" // 2^9 = 512 alternatives
	for _, tc := range []struct{ expr, message string }{
		{"", "empty"},
		{"MIT OR", "ends where a licence belongs"},
		{"(MIT OR Apache-2.0", "not closed"},
		{"MIT)", `unexpected ")"`},
		{"AND MIT", `unexpected "AND"`},
		{"MIT Apache-2.0", `unexpected "Apache-2.0"`},
		{"GPL-2.0-only WITH", "names no exception"},
		{many, "more than 256 alternatives"},
	} {
		if _, err := ParseLicense(tc.expr); err == nil || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("ParseLicense(%q) = %v; want an error saying %q", tc.expr, err, tc.message)
		}
	}
}

func FuzzParseLicense(f *testing.F) {
	for _, s := range []string{"MIT", "(MIT OR Apache-2.0) AND BSD-3-Clause", "GPL-2.0-only WITH Classpath-exception-2.0", "((a", "a AND (b OR c) AND (d OR e OR f)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		dnf, err := ParseLicense(expr)
		if err != nil {
			return
		}
		if len(dnf) == 0 || len(dnf) > MaxLicenseAlternatives {
			t.Fatalf("%q: %d alternatives", expr, len(dnf))
		}
		for _, alt := range dnf {
			if len(alt) == 0 {
				t.Fatalf("%q: an empty alternative in %v", expr, dnf)
			}
			for _, term := range alt {
				if term == "" || term == "(" || term == ")" || isLicenseOperator(term) {
					t.Fatalf("%q: term %q in %v", expr, term, dnf)
				}
			}
		}
	})
}
