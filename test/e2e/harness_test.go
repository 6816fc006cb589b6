package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tool paths come from scripts/install-tools.sh, which prints them; the versions live there only.
const (
	envCosignV2 = "GATE_COSIGN_V2"
	envCosignV3 = "GATE_COSIGN_V3"
	envRegistry = "GATE_REGISTRY"
	envOPA      = "GATE_OPA"
)

// processTimeout bounds any one program a test runs: a hung program fails its test, not the run.
const processTimeout = 3 * time.Minute

// password encrypts every test key, cosign's and gate's alike.
const password = "e2e-password"

var (
	repoRoot = mustAbs("../..")
	binDir   string // gate and ociregistry, built once per run
)

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gate-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireE2E skips the test unless GATE_E2E=1: these tests run real programs that
// scripts/install-tools.sh builds, which `go test ./...` must not need.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("GATE_E2E") != "1" {
		t.Skip("end-to-end test against the real cosign CLI and registry servers: run scripts/e2e-registry.sh (it installs them and sets GATE_E2E=1)")
	}
}

// tool returns the path of a program scripts/install-tools.sh installed. With GATE_E2E=1 a
// missing program is a failure, never a skip: a skipped proof is no proof.
func tool(t *testing.T, env string) string {
	t.Helper()
	requireE2E(t)
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run scripts/e2e-registry.sh, or `set -a; eval \"$(scripts/install-tools.sh)\"; set +a`", env)
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable (%v): run scripts/install-tools.sh", env, p, err)
	}
	return p
}

type built struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // package path -> *built

// build compiles a main package of this module once per test run.
func build(t *testing.T, pkg string) string {
	t.Helper()
	requireE2E(t)
	v, _ := builds.LoadOrStore(pkg, &built{})
	b := v.(*built)
	b.once.Do(func() {
		b.path = filepath.Join(binDir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func gateBin(t *testing.T) string { return build(t, "./cmd/gate") }

// world is where one test's programs run: their own HOME, TUF_ROOT (cosign's trust cache)
// and DOCKER_CONFIG, so nothing of the machine's user leaks in and nothing leaks out.
type world struct {
	t     *testing.T
	dir   string
	extra []string // more KEY=VALUE for every program
}

func newWorld(t *testing.T) *world {
	t.Helper()
	requireE2E(t)
	w := &world{t: t, dir: t.TempDir()}
	for _, d := range []string{"home", "tuf", "docker"} {
		if err := os.MkdirAll(w.path(d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) path(name string) string { return filepath.Join(w.dir, name) }

func (w *world) write(name string, data []byte) string {
	w.t.Helper()
	p := w.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", k == "TUF_ROOT", k == "DOCKER_CONFIG", k == "GATE_CONFIG",
			strings.HasPrefix(k, "COSIGN_"), strings.HasPrefix(k, "SIGSTORE_"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+w.path("home"), "TUF_ROOT="+w.path("tuf"), "DOCKER_CONFIG="+w.path("docker"), "COSIGN_PASSWORD="+password)
	return append(env, w.extra...)
}

// result is how a program ended.
type result struct {
	args           []string
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("%s: exit %d after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
}

// start starts a program in w; wait ends it.
func (w *world) start(bin string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, context.CancelFunc) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = w.dir, w.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		w.t.Fatalf("starting %s: %v", bin, err)
	}
	return cmd, &stdout, &stderr, cancel
}

func wait(cmd *exec.Cmd, stdout, stderr *bytes.Buffer, cancel context.CancelFunc, began time.Time) result {
	defer cancel()
	err := cmd.Wait()
	r := result{args: append([]string{filepath.Base(cmd.Path)}, cmd.Args[1:]...), stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(began)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		r.code = -1
		r.stderr += "\n(test harness: " + err.Error() + ")"
	}
	return r
}

// run runs a program in w to its end.
func (w *world) run(bin string, args ...string) result {
	w.t.Helper()
	began := time.Now()
	cmd, stdout, stderr, cancel := w.start(bin, args...)
	return wait(cmd, stdout, stderr, cancel, began)
}

// must runs a program and fails the test unless it exits 0.
func (w *world) must(bin string, args ...string) result {
	w.t.Helper()
	r := w.run(bin, args...)
	if r.code != 0 {
		w.t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
