package main

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/record"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The registry of this test wants these credentials, found in a Docker config.
const (
	registryUser     = "release-bot"
	registryPassword = "hunter2-s3cret-Pa55"
)

// TestVerifyRecord verifies an image on a registry that demands credentials,
// from a Docker config, with --record, and checks that the records hold
// nothing of the credentials and that each record's input, evaluated again
// by the policy, gives the decision recorded.
func TestVerifyRecord(t *testing.T) {
	c := newCLI(t)
	// The same registry, behind basic auth.
	reg := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != registryUser || p != registryPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="gate-test"`)
			http.Error(w, "credentials, please", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	image := host + "/team/app:1.0"
	auth := base64.StdEncoding.EncodeToString([]byte(registryUser + ":" + registryPassword))
	dockerDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), []byte(`{"auths": {"`+host+`": {"auth": "`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dockerDir)
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		t.Fatal(err)
	}

	records := filepath.Join(c.dir, "records.jsonl")
	verify := []string{"verify", image, "--config", c.path("gate.yaml"), "--record", records}
	for _, step := range [][]string{
		{"attest", image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/unit-pass.jsonl", "--stage", "unit"},
		{"attest", image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/go-chi.cover"},
		{"approve", image, "--key", c.path("module-lead.key"), "--role", "module-lead", "--decision", "go", "--reason", "ok"},
		verify, // not blessed: no scan, no qa, no sre
		{"attest", image, "--key", c.path("ci.key"), "--report", "../../pkg/gate/testdata/sl-micro-rancher5.4-no-vulns.json"},
		{"approve", image, "--key", c.path("qa.key"), "--role", "qa", "--decision", "go", "--reason", "ok"},
		{"approve", image, "--key", c.path("sre.key"), "--role", "sre", "--decision", "go", "--reason", "ok"},
		verify, // blessed
	} {
		if code, out := run(t, step...); code == exitUndecided {
			t.Fatalf("%s: exit %d:\n%s", strings.Join(step[:2], " "), code, out)
		}
	}

	raw, err := os.ReadFile(records)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{registryPassword, auth, "hunter2", "Authorization", "BasicAuth"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the records hold %q:\n%s", secret, raw)
		}
	}
	entries, err := record.ReadFile(records)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Record.Allowed || !entries[1].Record.Allowed {
		t.Fatalf("got %d records, want 2: not blessed, then blessed", len(entries))
	}
	params, err := policy.LoadParams(c.path("data.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(context.Background(), "../../policies", params)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		r := e.Record
		if r.Origin != "verify" || r.Image != image || r.Environment != "production" || r.PolicyVersion != p.Version() || len(r.Input.Evidence) == 0 {
			t.Errorf("%s: record %+v", e.Where(), r)
		}
		d, err := p.Evaluate(context.Background(), *r.Input)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != r.Allowed || !reflect.DeepEqual(d.Gates, r.Gates) {
			t.Errorf("%s: the input re-evaluates to %+v, the record says %v %+v", e.Where(), d, r.Allowed, r.Gates)
		}
	}
}

func TestVerifyRecordUnwritable(t *testing.T) {
	c := newCLI(t)
	code, out := run(t, "verify", c.image, "--config", c.path("gate.yaml"), "--record", filepath.Join(c.dir, "no", "such", "dir", "r.jsonl"))
	if code != exitUndecided || !strings.Contains(out, "opening decision records") {
		t.Fatalf("exit %d, want %d naming the records file:\n%s", code, exitUndecided, out)
	}
}
