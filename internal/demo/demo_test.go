package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The demo checks its own story as it goes (each verify must come out as the
// story says); this test runs it and checks what a person reads.
func TestDemoTellsTheStory(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"BLESSED  ",
		"FAIL  tests/integration",
		"FAIL  approval/sre",
		"FAIL  nogo",
		"not signed by any trusted key",
		"a new digest inherits nothing",
		"rolling back is always allowed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if n := strings.Count(out.String(), "NOT BLESSED"); n != 4 {
		t.Errorf("want 4 images not blessed in the story, got %d", n)
	}
}
