package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.yaml.in/yaml/v3"
)

// releaseTestPkgs is what the release's `go test -json` runs here: two small packages (about
// 90% covered), so that the test proves the release's path, not gate's whole test suite.
const releaseTestPkgs = "./internal/version/ ./pkg/report/"

// releasePlatforms are the binaries the test's release builds: the two the image needs, unless
// GATE_RELEASE_PLATFORMS names more. make release builds darwin/amd64 and darwin/arm64 too,
// by the same loop; here each would be a cold build of about 1,200 packages (35 min on this
// project's busy 2-core machine, BENCHMARKS.md) added to every `make test` on a fresh machine.
//
//	GATE_RELEASE_PLATFORMS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64"
func releasePlatforms() string {
	if p := os.Getenv("GATE_RELEASE_PLATFORMS"); p != "" {
		return p
	}
	return "linux/amd64 linux/arm64"
}

// releaseTimeout bounds the release: two cross-compiled binaries are a few minutes of CPU each
// cold and seconds warm; under the load of seven engineers' builds the cold pair took 57 min of
// wall clock here (BENCHMARKS.md), beyond this bound and beyond make e2e's 30 min: warm the
// cache with `make image` first on such a machine.
const releaseTimeout = 20 * time.Minute

// goEnv keeps Go's caches where they are: the world's HOME is a fresh directory, and a cold
// build cache would make every release a cold build.
func goEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(out)))
	}
	return env
}

// script runs one of the repository's scripts in w, with a longer bound than a program's.
func (w *world) script(name string, env ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", name))
	cmd.Dir, cmd.Env = repoRoot, append(w.env(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	r := result{args: []string{name}, stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(began)}
	if err != nil {
		r.code = -1
		if exit, ok := err.(*exec.ExitError); ok {
			r.code = exit.ExitCode()
		}
	}
	return r
}

// selfConfig copies examples/self into w beside a copy of policies/, as the repository lays
// them out, with pub as release.pub.
func selfConfig(t *testing.T, w *world, dir, pub string) string {
	t.Helper()
	for _, f := range []string{"gate.yaml", "release.json"} {
		w.write(filepath.Join(dir, "examples/self", f), readFile(t, filepath.Join(repoRoot, "examples/self", f)))
	}
	w.write(filepath.Join(dir, "examples/self/release.pub"), readFile(t, pub))
	// A copy, not a link: the policy loader walks the directory, and a walk does not enter a
	// link at its root.
	regos, err := filepath.Glob(filepath.Join(repoRoot, "policies", "*.rego"))
	if err != nil || len(regos) == 0 {
		t.Fatalf("no policies/*.rego: %v", err)
	}
	for _, f := range regos {
		w.write(filepath.Join(dir, "policies", filepath.Base(f)), readFile(t, f))
	}
	return w.path(filepath.Join(dir, "examples/self/gate.yaml"))
}

func git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestReleaseGoesThroughGate runs `make release` (scripts/release.sh) on a local registry with
// a throwaway release key: binaries with checksums, the image pushed, attested by the gate it
// built, and BLESSED under examples/self. Then the same image under another key is not blessed,
// and building the image again from the same commit gives the same index digest.
func TestReleaseGoesThroughGate(t *testing.T) {
	w := newWorld(t)
	reg := startReferrersRegistry(t)
	gate := gateBin(t)
	w.must(gate, "generate-key-pair", "--output-key-prefix", "release")
	w.must(gate, "generate-key-pair", "--output-key-prefix", "stranger")
	config := selfConfig(t, w, "repo", w.path("release.pub"))
	dist := w.path("dist")
	env := append(goEnv(t), "IMAGE_REPO="+reg.host+"/gatehq/gate", "RELEASE_KEY="+w.path("release.key"),
		"SELF_CONFIG="+config, "DIST="+dist, "RELEASE_TEST_PKGS="+releaseTestPkgs, "PLATFORMS="+releasePlatforms())

	r := w.script("release.sh", env...)
	t.Logf("make release: %s (binaries for %s, image for linux/amd64 and linux/arm64, go test %s, 3 attestations, verify)\n%s", r.elapsed.Round(time.Second), releasePlatforms(), releaseTestPkgs, r.stderr)
	if r.code != 0 {
		t.Fatalf("release failed:\n%s", r)
	}
	for _, want := range []string{"BLESSED  " + reg.host + "/gatehq/gate@sha256:", "pass  tests/unit", "pass  coverage", "pass  provenance"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("gate verify said no %q:\n%s", want, r.stdout)
		}
	}
	image := strings.TrimSpace(string(readFile(t, filepath.Join(dist, "release/image"))))

	t.Run("binaries and their checksums", func(t *testing.T) {
		cmd := exec.Command("sha256sum", "-c", "checksums.txt")
		cmd.Dir = filepath.Join(dist, "bin")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
		for _, p := range strings.Fields(releasePlatforms()) {
			for _, prog := range []string{"gate", "gate-webhook"} {
				if f := prog + "_" + strings.ReplaceAll(p, "/", "_"); !strings.Contains(string(out), f+": OK") {
					t.Errorf("no checked %s:\n%s", f, out)
				}
			}
		}
	})

	t.Run("gate version says what was released", func(t *testing.T) {
		v := w.must(filepath.Join(dist, "bin", "gate_linux_amd64"), "version", "--output", "json")
		var got map[string]string
		if err := json.Unmarshal([]byte(v.stdout), &got); err != nil {
			t.Fatal(err)
		}
		commitTime, _ := time.Parse(time.RFC3339, git(t, "log", "-1", "--format=%cI"))
		want := map[string]string{"version": git(t, "describe", "--tags", "--always", "--dirty"), "commit": git(t, "rev-parse", "HEAD"),
			"date": commitTime.UTC().Format(time.RFC3339), "platform": "linux/amd64"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
	})

	t.Run("the image: two platforms, labelled, non-root", func(t *testing.T) {
		ref, err := name.NewDigest(image)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(ref)
		if err != nil {
			t.Fatal(err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.Annotations["org.opencontainers.image.revision"] != git(t, "rev-parse", "HEAD") {
			t.Errorf("index annotations %v", m.Annotations)
		}
		var platforms []string
		for _, d := range m.Manifests {
			platforms = append(platforms, d.Platform.String())
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Config.User != "65532:65532" || cf.Config.Entrypoint[0] != "/usr/local/bin/gate" {
				t.Errorf("%s: user %q entrypoint %q", d.Platform, cf.Config.User, cf.Config.Entrypoint)
			}
		}
		if strings.Join(platforms, " ") != "linux/amd64 linux/arm64" {
			t.Errorf("platforms %v", platforms)
		}
	})

	t.Run("under another release key the image is not blessed", func(t *testing.T) {
		other := selfConfig(t, w, "other", w.path("stranger.pub"))
		v := w.run(gate, "verify", image, "--config", other)
		if v.code != 1 || !strings.Contains(v.stdout, "NOT BLESSED") || !strings.Contains(v.stdout, "0 verified, 3 rejected") {
			t.Errorf("want exit 1, not blessed, 3 rejected:\n%s", v)
		}
	})

	t.Run("the action and the GitLab template install the release, and refuse a tampered binary", func(t *testing.T) {
		installs(t, w, filepath.Join(dist, "bin"))
	})

	t.Run("make image twice from one commit: one index digest", func(t *testing.T) {
		again := w.script("image.sh", append(goEnv(t), "DIST="+w.path("dist2"))...)
		if again.code != 0 {
			t.Fatalf("make image:\n%s", again)
		}
		t.Logf("make image (warm): %s", again.elapsed.Round(time.Second))
		_, digest, _ := strings.Cut(image, "@")
		if got := strings.TrimSpace(again.stdout); got != digest {
			t.Errorf("the layout's index is %s, the released one %s", got, digest)
		}
	})
}

// installScripts returns the install step of action.yml and the before_script of the GitLab
// template, as the runners would run them.
func installScripts(t *testing.T) (action, gitlab string) {
	t.Helper()
	var a struct {
		Runs struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(readFile(t, filepath.Join(repoRoot, "action.yml")), &a); err != nil {
		t.Fatal(err)
	}
	for _, s := range a.Runs.Steps {
		if s.ID == "install" {
			action = s.Run
		}
	}
	var g map[string]struct {
		BeforeScript []string `yaml:"before_script"`
	}
	if err := yaml.Unmarshal(readFile(t, filepath.Join(repoRoot, "examples/pipelines/gitlab/gate.gitlab-ci.yml")), &g); err != nil {
		t.Fatal(err)
	}
	gitlab = strings.Join(g[".gate-install"].BeforeScript, "\n")
	if action == "" || gitlab == "" {
		t.Fatal("no install script in action.yml (step id install) or in the GitLab template (.gate-install)")
	}
	return action, gitlab
}

// installs serves the released binaries as GitHub serves a release's assets, then runs the
// action's and the GitLab template's install scripts against it: once as released, once with
// one byte of the binary changed, which both must refuse.
func installs(t *testing.T, w *world, bin string) {
	const tag = "v0.0.0-e2e"
	action, gitlab := installScripts(t)
	tampered := t.TempDir()
	for _, f := range []string{"checksums.txt", "gate_linux_amd64"} {
		b := readFile(t, filepath.Join(bin, f))
		if f != "checksums.txt" {
			b = bytes.Clone(b)
			b[len(b)/2] ^= 1
		}
		if err := os.WriteFile(filepath.Join(tampered, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		desc, dir string
		ok        bool
	}{{"as released", bin, true}, {"one byte changed", tampered, false}} {
		srv := httptest.NewServer(http.StripPrefix("/"+tag, http.FileServer(http.Dir(tc.dir))))
		for _, sh := range []struct{ name, shell, script string }{{"action", "bash", action}, {"gitlab", "sh", gitlab}} {
			t.Run(tc.desc+"/"+sh.name, func(t *testing.T) {
				tmp := t.TempDir()
				script := w.write(filepath.Join(sh.name+"-"+filepath.Base(tmp), "install.sh"), []byte(sh.script+"\ngate version\n"))
				w.extra = []string{"GATE_VERSION=" + tag, "GATE_DOWNLOAD_URL=" + srv.URL, "RUNNER_TEMP=" + tmp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
					"GITHUB_PATH=" + filepath.Join(tmp, "path"), "GITHUB_OUTPUT=" + filepath.Join(tmp, "output"), "CI_PROJECT_DIR=" + tmp,
					// gate version at the end runs the gate on PATH, which the action adds through GITHUB_PATH
					"PATH=" + filepath.Join(tmp, "gate-"+tag) + ":" + filepath.Join(tmp, ".gate/bin") + ":" + os.Getenv("PATH")}
				defer func() { w.extra = nil }()
				r := w.run(sh.shell, script)
				if tc.ok && (r.code != 0 || !strings.Contains(r.stdout, "platform: linux/amd64")) {
					t.Errorf("install failed:\n%s", r)
				}
				if !tc.ok && (r.code == 0 || !strings.Contains(r.stdout, "SHA-256")) {
					t.Errorf("a tampered binary was not refused for its checksum:\n%s", r)
				}
			})
		}
		srv.Close()
	}
}
