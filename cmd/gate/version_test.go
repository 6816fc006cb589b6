package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	code, out := run(t, "version", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--output json is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "date", "goVersion", "platform"} {
		if got[k] == "" {
			t.Errorf("%s is empty in %s", k, out)
		}
	}
	if want := runtime.GOOS + "/" + runtime.GOARCH; got["platform"] != want {
		t.Errorf("platform %q, want %q", got["platform"], want)
	}
	code, out = run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "gate ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("text: exit %d:\n%s", code, out)
	}
	if code, out = run(t, "version", "--output", "yaml"); code != 2 {
		t.Errorf("--output yaml: exit %d, want 2:\n%s", code, out)
	}
}
