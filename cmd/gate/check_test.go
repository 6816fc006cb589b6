package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// bless gives image every piece of evidence newCLI's policy asks for.
func (c *cli) bless(t *testing.T, image string) {
	t.Helper()
	steps := [][]string{
		{"attest", image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/unit-pass.jsonl", "--stage", "unit"},
		{"attest", image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/go-chi.cover"},
		{"attest", image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/sl-micro-rancher5.4-no-vulns.json"},
	}
	for _, role := range []string{"module-lead", "qa", "sre"} {
		steps = append(steps, []string{"approve", image, "--key", c.path(role + ".key"), "--role", role, "--decision", "go", "--reason", "ok"})
	}
	for _, s := range steps {
		if code, out := run(t, s...); code != 0 {
			t.Fatalf("gate %s: exit %d:\n%s", strings.Join(s, " "), code, out)
		}
	}
}

func (c *cli) pushImage(t *testing.T, repo string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(c.host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return ref.String()
}

// gate check decides a multi-document manifest as the webhook would: the
// blessed Deployment is admitted, the CronJob's image is refused on its own
// line, and the Pod in a namespace that does not opt in is left alone.
func TestCheckManifests(t *testing.T) {
	c := newCLI(t)
	c.bless(t, c.image)
	unblessed := c.pushImage(t, "team/report:2.0")
	wh := c.write("webhook.yaml", "namespaces:\n  shop: {environment: production}\n")
	manifest := c.write("release.yaml", fmt.Sprintf(`# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: %s
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: %s
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: sandbox
spec:
  containers:
    - name: shell
      image: %s
`, c.image, unblessed, unblessed))
	args := []string{"check", "-f", manifest, "--config", c.path("gate.yaml"), "--webhook-config", wh}

	code, out := run(t, append(args, "--output", "github")...)
	if code != exitNotBlessed {
		t.Fatalf("exit %d, want %d:\n%s", code, exitNotBlessed, out)
	}
	want := fmt.Sprintf("::error file=%s,line=27,title=gate%%3A CronJob shop/report::image %s", strings.ReplaceAll(manifest, ":", "%3A"), unblessed)
	if !strings.Contains(out, want) {
		t.Errorf("no annotation on the CronJob's image line; want %q in:\n%s", want, out)
	}
	if n := strings.Count(out, "::error"); n != 1 {
		t.Errorf("want exactly one error annotation, got %d:\n%s", n, out)
	}
	for _, s := range []string{"is not blessed for production: gate tests/unit failed", "next: attest the unit tests' report"} {
		if !strings.Contains(out, s) {
			t.Errorf("the annotation lacks the webhook's explanation %q:\n%s", s, out)
		}
	}

	code, out = run(t, args...)
	for _, s := range []string{
		manifest + ":12: Deployment shop/web: admitted: image " + c.image + " is blessed for production",
		manifest + ":27: CronJob shop/report: REFUSED: image " + unblessed,
		manifest + ":29: Pod sandbox/debug: admitted: namespace sandbox is not guarded",
		"3 checked, 1 refused",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text output lacks %q:\n%s", s, out)
		}
	}

	_, out = run(t, append(args, "--output", "json")...)
	var doc struct {
		Answer   int
		Findings []struct {
			Kind     string
			Line     int
			Admitted bool
		}
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Answer != 1 || len(doc.Findings) != 3 || doc.Findings[1].Kind != "CronJob" || doc.Findings[1].Admitted || doc.Findings[1].Line != 27 {
		t.Errorf("json: %+v", doc)
	}

	// Without the CronJob, everything is admitted: exit 0.
	docs := strings.Split(mustRead(t, manifest), "---\n")
	ok := c.write("ok.yaml", docs[0]+"---\n"+docs[2])
	if code, out := run(t, "check", "-f", ok, "--config", c.path("gate.yaml"), "--webhook-config", wh); code != exitBlessed {
		t.Fatalf("blessed Deployment and unguarded Pod: exit %d, want 0:\n%s", code, out)
	}
	// In a namespace in warn mode the webhook admits with a warning: exit 0, a warning annotation.
	warn := c.write("warn.yaml", strings.Replace(docs[1], "namespace: shop", "namespace: canary", 1))
	wh2 := c.write("webhook-warn.yaml", "namespaces:\n  canary: {environment: production, mode: warn}\n")
	code, out = run(t, "check", "-f", warn, "--config", c.path("gate.yaml"), "--webhook-config", wh2, "--output", "github")
	if code != exitBlessed || !strings.Contains(out, "::warning file=") || strings.Contains(out, "::error") {
		t.Fatalf("warn mode: exit %d, want 0 with a warning annotation:\n%s", code, out)
	}
	// A directory of manifests is read whole.
	os.MkdirAll(c.path("deploy/shop"), 0o755)
	c.write("deploy/shop/release.yaml", mustRead(t, manifest))
	c.write("deploy/canary.yml", mustRead(t, warn))
	c.write("deploy/README.md", "not a manifest")
	code, out = run(t, "check", "-f", c.path("deploy"), "--config", c.path("gate.yaml"), "--webhook-config", wh, "--guarded", "canary")
	if code != exitNotBlessed || !strings.Contains(out, "4 checked, 2 refused") {
		t.Fatalf("a directory (canary guarded in enforce mode): exit %d, want 1 with 4 checked, 2 refused:\n%s", code, out)
	}
	// An image that cannot be verified: the webhook refuses it; check cannot decide: exit 2.
	down := c.write("down.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: a, image: 127.0.0.1:1/x:1}]\n")
	if code, out := run(t, "check", "-f", down, "--config", c.path("gate.yaml"), "--webhook-config", wh, "--timeout", "5s"); code != exitUndecided || !strings.Contains(out, "could not be verified") {
		t.Fatalf("unreachable registry: exit %d, want 2:\n%s", code, out)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
