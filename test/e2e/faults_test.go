package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Issue item 5: registry faults are decisions ("could not decide", exit 2) with a message that
// says what went wrong, never a crash and never "no attestations".

func TestStoppedRegistryIsUnreachableNotEmpty(t *testing.T) {
	requireE2E(t)
	for _, reg := range registryKinds {
		t.Run(reg.desc, func(t *testing.T) {
			w := newWorld(t)
			r := reg.start(t)
			digest := pushImage(t, r.host, "team/app", nil)
			ciKey, ciPub := w.gateKey("ci")
			cfg := w.trustConfig(map[string][]string{"ci": {ciPub}})
			w.must(gateBin(t), "attest", digest.String(), "--key", ciKey, "--report", unitReport, "--stage", "unit")
			r.stop()
			for _, image := range []string{digest.String(), r.host + "/team/app:1.0"} {
				res := w.run(gateBin(t), "verify", image, "--config", cfg)
				if res.code != 2 {
					t.Fatalf("want exit 2 (could not decide):\n%s", res)
				}
				t.Logf("%s: %s", image, strings.TrimSpace(res.stderr))
				if !strings.Contains(res.stderr, "registry could not be reached") {
					t.Errorf("want the message to say the registry could not be reached:\n%s", res)
				}
				if strings.Contains(res.stdout+res.stderr, "no test results") || strings.Contains(res.stdout+res.stderr, "not found") {
					t.Errorf("an unreachable registry was read as missing attestations:\n%s", res)
				}
			}
		})
	}
}

func TestSlowRegistryAndTheTimeoutFlag(t *testing.T) {
	w := newWorld(t)
	r := startReferrersRegistry(t)
	p := startProxy(t, r.host)
	image := pushImage(t, p.host, "team/app", nil).String()
	ciKey, ciPub := w.gateKey("ci")
	cfg := w.trustConfig(map[string][]string{"ci": {ciPub}})
	w.must(gateBin(t), "attest", image, "--key", ciKey, "--report", unitReport, "--stage", "unit")
	for _, tc := range []struct {
		desc     string
		delay    time.Duration // added to every registry response
		timeout  string
		wantCode int
		within   time.Duration
	}{
		{"slower than --timeout: gives up in time, exit 2", 20 * time.Second, "2s", 2, 6 * time.Second},
		{"slow but within --timeout: decides", 300 * time.Millisecond, "60s", 1, time.Minute},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p.set(tc.delay, 0)
			res := w.run(gateBin(t), "verify", image, "--config", cfg, "--timeout", tc.timeout)
			if res.code != tc.wantCode {
				t.Fatalf("want exit %d:\n%s", tc.wantCode, res)
			}
			t.Logf("exit %d after %s: %s", res.code, res.elapsed.Round(time.Millisecond), strings.TrimSpace(res.stderr))
			if res.elapsed > tc.within {
				t.Errorf("took %s, want at most %s", res.elapsed, tc.within)
			}
			if tc.wantCode == 2 && !strings.Contains(res.stderr, "did not answer in time") {
				t.Errorf("want the message to say the registry did not answer in time:\n%s", res)
			}
		})
	}
}

func TestRefusedCredentialsAreAnAuthenticationProblem(t *testing.T) {
	w := newWorld(t)
	r := startDistribution(t, htpasswdFile(t, "ci", "s3cret"))
	digest := pushImage(t, r.host, "team/app", &authn.Basic{Username: "ci", Password: "s3cret"})
	ciKey, ciPub := w.gateKey("ci")
	cfg := w.trustConfig(map[string][]string{"ci": {ciPub}})
	forbidding := startProxy(t, r.host)
	forbidding.set(0, http.StatusForbidden)
	for _, tc := range []struct {
		desc   string
		host   string
		config string // DOCKER_CONFIG's config.json
	}{
		{"401: no credentials", r.host, "{}"},
		{"401: wrong password", r.host, dockerAuths(r.host, "ci", "wrong")},
		{"403: credentials refused", forbidding.host, dockerAuths(forbidding.host, "ci", "s3cret")},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			w.write("docker/config.json", []byte(tc.config))
			image := strings.Replace(digest.String(), r.host, tc.host, 1)
			for _, args := range [][]string{
				{"verify", image, "--config", cfg},
				{"attest", image, "--key", ciKey, "--report", unitReport, "--stage", "unit"},
			} {
				res := w.run(gateBin(t), args...)
				if res.code != 2 {
					t.Fatalf("want exit 2 (could not decide):\n%s", res)
				}
				t.Logf("gate %s: %s", args[0], strings.TrimSpace(res.stderr))
				if !strings.Contains(res.stderr, "registry authentication failed") {
					t.Errorf("want the message to say it is an authentication problem:\n%s", res)
				}
			}
		})
	}
}
