package policy

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestShippedPolicyTestsPass(t *testing.T) {
	var out bytes.Buffer
	passed, err := Test(context.Background(), []string{policiesDir}, &out, false)
	if err != nil || !passed {
		t.Fatalf("Test(%s) = %v, %v:\n%s", policiesDir, passed, err, out.String())
	}
	if !strings.Contains(out.String(), "PASS: ") {
		t.Errorf("no summary in report:\n%s", out.String())
	}
}

func TestFailingPolicyTest(t *testing.T) {
	for _, tc := range []struct {
		desc, test, want string
	}{
		{"a failing test", "test_fails if 1 == 2", "FAIL: 1/2"},
		{"an erring test", "f(_) := 1\n\nf(_) := 2\n\ntest_errs if f(0) == 1", "ERROR: 1/2"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "p.rego", "package p\n\nx := 1\n")
			writeFile(t, dir, "p_test.rego", "package p_test\n\nimport data.p\n\ntest_passes if p.x == 1\n\n"+tc.test+"\n")
			var out bytes.Buffer
			passed, err := Test(context.Background(), []string{dir}, &out, true)
			if err != nil {
				t.Fatal(err)
			}
			if passed {
				t.Errorf("passed:\n%s", out.String())
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("report lacks %q:\n%s", tc.want, out.String())
			}
		})
	}
}

func TestPolicyTestErrors(t *testing.T) {
	for _, tc := range []struct {
		desc, src, want string
	}{
		{"no tests", "package p\n\nx := 1\n", "no tests"},
		{"compile error", "package p_test\n\ntest_x if {\n\ty := 1\n}\n", "p_test.rego:4"},
		{"denied builtin", "package p_test\n\ntest_x if time.now_ns() > 0\n", "p_test.rego:3"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "p_test.rego", tc.src)
			passed, err := Test(context.Background(), []string{dir}, &bytes.Buffer{}, false)
			if passed || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Test = %v, %v; want an error containing %q", passed, err, tc.want)
			}
		})
	}
}
