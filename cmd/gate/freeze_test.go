package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestFreezeStopsVerifyButNotARollback(t *testing.T) {
	c := newCLI(t)
	raw, _ := os.ReadFile(c.path("gate.yaml"))
	c.write("gate.yaml", string(raw)+"freeze: {repository: "+c.host+"/gate/freeze, roles: [sre]}\n")
	cfg := c.path("gate.yaml")
	verify := func(image string) (int, string) { return run(t, "verify", image, "--config", cfg) }
	c.bless(t, c.image)

	if code, out := run(t, "freeze", "--env", "production", "--reason", "incident 4211", "--key", c.path("qa.key"), "--config", cfg); code != exitUndecided || !strings.Contains(out, "may not sign") {
		t.Fatalf("freeze with qa's key: exit %d: %s", code, out)
	}
	frozenAt := time.Now()
	code, out := run(t, "freeze", "--env", "production", "--reason", "incident 4211", "--key", c.path("sre.key"), "--config", cfg)
	if code != 0 || !strings.Contains(out, `production is frozen by sre since`) {
		t.Fatalf("freeze: exit %d: %s", code, out)
	}
	time.Sleep(time.Until(frozenAt.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	next := c.host + "/team/app:1.1"
	img, _ := random.Image(256, 1)
	ref, _ := name.ParseReference(next)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	c.bless(t, next)

	if code, out := verify(c.image); code != exitBlessed || !strings.Contains(out, "admitted as a rollback") {
		t.Fatalf("the rollback: exit %d, want 0 saying it is a rollback:\n%s", code, out)
	}
	if code, out := verify(next); code != exitNotBlessed || !strings.Contains(out, "frozen by sre") || !strings.Contains(out, "gate unfreeze --env production") {
		t.Fatalf("the new digest while frozen: exit %d, want %d:\n%s", code, exitNotBlessed, out)
	}
	if code, out := run(t, "unfreeze", "--env", "production", "--reason", "resolved", "--key", c.path("sre.key"), "--config", cfg); code != 0 || !strings.Contains(out, "not frozen") {
		t.Fatalf("unfreeze: exit %d: %s", code, out)
	}
	if code, out := verify(next); code != exitBlessed {
		t.Fatalf("the new digest after the unfreeze: exit %d:\n%s", code, out)
	}
}
