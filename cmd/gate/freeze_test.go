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

// gate check honours a freeze as gate verify and the webhook do: a new digest is refused with
// the freeze's message, a rollback is admitted and says so, and an unfreeze lets the new one in.
func TestCheckHonoursFreeze(t *testing.T) {
	c := newCLI(t)
	raw, _ := os.ReadFile(c.path("gate.yaml"))
	c.write("gate.yaml", string(raw)+"freeze: {repository: "+c.host+"/gate/freeze, roles: [sre]}\n")
	cfg := c.path("gate.yaml")
	c.bless(t, c.image)
	wh := c.write("webhook.yaml", "namespaces:\n  shop: {environment: production}\n")
	manifest := func(image string) string {
		return c.write("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: "+image+"\n")
	}
	check := func(image string) (int, string) {
		return run(t, "check", "-f", manifest(image), "--config", cfg, "--webhook-config", wh)
	}

	frozenAt := time.Now()
	if code, out := run(t, "freeze", "--env", "production", "--reason", "incident 4211", "--key", c.path("sre.key"), "--config", cfg); code != 0 {
		t.Fatalf("freeze: exit %d: %s", code, out)
	}
	time.Sleep(time.Until(frozenAt.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	next := c.pushImage(t, "team/app:1.1")
	c.bless(t, next)

	if code, out := check(next); code != exitNotBlessed || !strings.Contains(out, "REFUSED") ||
		!strings.Contains(out, "production is frozen by sre since") || !strings.Contains(out, `"incident 4211"`) {
		t.Fatalf("the new digest while frozen: exit %d, want %d with the freeze's message:\n%s", code, exitNotBlessed, out)
	}
	if code, out := check(c.image); code != exitBlessed || !strings.Contains(out, "admitted as a rollback, blessed here before the freeze") {
		t.Fatalf("the rollback while frozen: exit %d, want 0 with a note:\n%s", code, out)
	}
	if code, out := run(t, "unfreeze", "--env", "production", "--reason", "resolved", "--key", c.path("sre.key"), "--config", cfg); code != 0 {
		t.Fatalf("unfreeze: exit %d: %s", code, out)
	}
	if code, out := check(next); code != exitBlessed || strings.Contains(out, "frozen") {
		t.Fatalf("the new digest after the unfreeze: exit %d, want 0:\n%s", code, out)
	}
}

// An unreadable freeze is "could not decide": gate check refuses rather than guesses.
func TestCheckUnreadableFreezeIsUndecided(t *testing.T) {
	c := newCLI(t)
	raw, _ := os.ReadFile(c.path("gate.yaml"))
	c.write("gate.yaml", string(raw)+"freeze: {repository: 127.0.0.1:1/gate/freeze, roles: [sre]}\n")
	c.bless(t, c.image)
	wh := c.write("webhook.yaml", "namespaces:\n  shop: {environment: production}\n")
	m := c.write("deploy.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: a, image: "+c.image+"}]\n")
	if code, out := run(t, "check", "-f", m, "--config", c.path("gate.yaml"), "--webhook-config", wh, "--timeout", "5s"); code != exitUndecided || !strings.Contains(out, "frozen") {
		t.Fatalf("unreachable freeze repository: exit %d, want %d:\n%s", code, exitUndecided, out)
	}
}
