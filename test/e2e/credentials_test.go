package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// dockerAuths is a Docker config file holding user:pass for host, as `docker login` writes it.
func dockerAuths(host, user, pass string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
}

// credentialHelper is a Docker credential helper program (docker-credential-NAME) that
// answers `get` with user:pass, as docker-credential-pass or ecr-login would.
func credentialHelper(user, pass string) string {
	return fmt.Sprintf(`#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
printf '{"ServerURL":"%%s","Username":%q,"Secret":%q}\n' "$server"
`, user, pass)
}

// Issue item 6: registry credentials as crane and cosign find them, from the Docker config
// file and its credential helpers, against the distribution registry behind htpasswd.
func TestDockerConfigCredentials(t *testing.T) {
	w := newWorld(t)
	r := startDistribution(t, htpasswdFile(t, "ci", "s3cret"))
	image := pushImage(t, r.host, "team/app", &authn.Basic{Username: "ci", Password: "s3cret"}).String()
	ciKey, ciPub := w.gateKey("ci")
	cfg := w.trustConfig(map[string][]string{"ci": {ciPub}})
	helpers := w.path("bin")
	w.write("bin/docker-credential-gate-e2e", []byte(credentialHelper("ci", "s3cret")))
	w.write("bin/docker-credential-gate-e2e-wrong", []byte(credentialHelper("ci", "wrong")))
	for _, f := range []string{"docker-credential-gate-e2e", "docker-credential-gate-e2e-wrong"} {
		if err := os.Chmod(w.path("bin/"+f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.extra = []string{"PATH=" + helpers + ":" + os.Getenv("PATH")}
	for _, tc := range []struct {
		desc   string
		config string
		ok     bool
	}{
		{"auths in config.json, as docker login writes them", dockerAuths(r.host, "ci", "s3cret"), true},
		{"a credential helper for this registry (credHelpers)", fmt.Sprintf(`{"credHelpers": {%q: "gate-e2e"}}`, r.host), true},
		{"the default credential store (credsStore)", `{"credsStore": "gate-e2e"}`, true},
		{"a credential helper answering a wrong password", fmt.Sprintf(`{"credHelpers": {%q: "gate-e2e-wrong"}}`, r.host), false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			w.write("docker/config.json", []byte(tc.config))
			att := w.run(gateBin(t), "attest", image, "--key", ciKey, "--report", unitReport, "--stage", "unit")
			ver := w.run(gateBin(t), "verify", image, "--config", cfg, "--output", "json")
			if !tc.ok {
				for _, res := range []result{att, ver} {
					if res.code != 2 || !strings.Contains(res.stderr, "registry authentication failed") {
						t.Errorf("want exit 2 and an authentication failure:\n%s", res)
					}
				}
				return
			}
			if att.code != 0 {
				t.Fatalf("gate attest with these credentials:\n%s", att)
			}
			ref := referrer(t, att)
			if ver.code != 1 || !strings.Contains(ver.stdout, ref) {
				t.Errorf("gate verify did not read the attestation %s back (want exit 1: only tests are attested):\n%s", ref, ver)
			}
		})
	}
}
