package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// readyTimeout bounds how long a registry may take to answer its first request.
const readyTimeout = 30 * time.Second

// registryServer is a registry running as its own process on loopback.
type registryServer struct {
	host string // 127.0.0.1:PORT
	stop func() // idempotent; also run by t.Cleanup
	logs *bytes.Buffer
}

// registryKinds are the two registries every interoperability test runs against.
var registryKinds = []struct {
	desc  string
	start func(t *testing.T) *registryServer
}{
	{"referrers API (go-containerregistry registry)", startReferrersRegistry},
	{"fallback tag (distribution registry)", func(t *testing.T) *registryServer { return startDistribution(t, "") }},
}

// startProcess runs a registry until the test ends, stopping it as an operator would (SIGTERM).
func startProcess(t *testing.T, cmd *exec.Cmd) *registryServer {
	t.Helper()
	logs := &bytes.Buffer{}
	if cmd.Stderr == nil {
		cmd.Stderr = &lockedWriter{w: logs}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	r := &registryServer{logs: logs, stop: func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}}
	t.Cleanup(r.stop)
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// startReferrersRegistry runs test/e2e/cmd/ociregistry, which picks its own free port and
// prints it, so no other process can take the port in between.
func startReferrersRegistry(t *testing.T) *registryServer {
	t.Helper()
	cmd := exec.Command(build(t, "./test/e2e/cmd/ociregistry"), "-listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := startProcess(t, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("ociregistry did not say where it listens: %v\n%s", err, r.logs)
	}
	r.host = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	go func() { _, _ = io.Copy(io.Discard, out) }()
	waitReady(t, r)
	return r
}

// distributionConfig is a distribution registry on loopback with filesystem storage.
const distributionConfig = `version: 0.1
log:
  level: warn
  accesslog: {disabled: true}
storage:
  filesystem: {rootdirectory: %q}
  maintenance: {uploadpurging: {enabled: false}}
http:
  addr: %s
  secret: gate-e2e
%s`

// startDistribution runs the CNCF distribution registry, behind htpasswd basic auth when
// htpasswd (a file's content) is given. It has no referrers API: the fallback tag scheme.
func startDistribution(t *testing.T, htpasswd string) *registryServer {
	t.Helper()
	bin := tool(t, envRegistry)
	dir := t.TempDir()
	auth := ""
	if htpasswd != "" {
		p := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(p, []byte(htpasswd), 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd: {realm: gate-e2e, path: %q}\n", p)
	}
	// distribution cannot report a port it picked, so pick one; another process may take it
	// first, which only costs a retry.
	for attempt := 0; ; attempt++ {
		host := freePort(t)
		cfg := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(distributionConfig, filepath.Join(dir, "storage"), host, auth)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := startProcess(t, exec.Command(bin, "serve", cfg))
		r.host = host
		if err := ready(r); err == nil {
			return r
		} else if attempt == 2 {
			t.Fatalf("distribution registry did not start: %v\n%s", err, r.logs)
		}
		r.stop()
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, r *registryServer) {
	t.Helper()
	if err := ready(r); err != nil {
		t.Fatalf("registry at %s: %v\n%s", r.host, err, r.logs)
	}
}

// ready waits until the registry answers /v2/ (200, or 401 when it wants credentials).
func ready(r *registryServer) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := http.Get("http://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// htpasswdFile is an htpasswd line for user, with a bcrypt hash as distribution requires.
func htpasswdFile(t *testing.T, user, pass string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	return user + ":" + string(h) + "\n"
}

// pushImage pushes a new random image to host and returns its digest reference.
func pushImage(t *testing.T, host, repo string, auth authn.Authenticator) name.Digest {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/" + repo + ":1.0")
	if err != nil {
		t.Fatal(err)
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, _ := img.Digest()
	return ref.Context().Digest(d.String())
}

// proxy stands between gate and a registry to make it misbehave: answer late, refuse, or
// let a test watch the fallback index being written.
type proxy struct {
	host    string
	delay   time.Duration // before every request but the ping is forwarded
	status  int           // if set, every request but the ping is answered with it
	mu      sync.Mutex
	indexes [][]string // manifests of each fallback index PUT, in order
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay, status := p.delay, p.status
		p.mu.Unlock()
		if r.URL.Path != "/v2/" {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			if status != 0 {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"proxy says no"}]}`, status)
				return
			}
		}
		if r.Method == http.MethodPut && isFallbackTag(r.URL.Path) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			p.record(body)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

func (p *proxy) set(delay time.Duration, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay, p.status = delay, status
}

func isFallbackTag(path string) bool {
	tag := path[strings.LastIndex(path, "/")+1:]
	return strings.HasPrefix(tag, "sha256-") && !strings.Contains(tag, ".")
}

func (p *proxy) record(body []byte) {
	var idx struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	_ = json.Unmarshal(body, &idx)
	var ds []string
	for _, m := range idx.Manifests {
		ds = append(ds, m.Digest)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.indexes = append(p.indexes, ds)
}

// indexWrites says how many fallback index PUTs went through the proxy, and how many of them
// dropped an entry an earlier one held: the lost writes a naive read-modify-write leaves.
func (p *proxy) indexWrites() (puts, clobbers int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, idx := range p.indexes {
		in := map[string]bool{}
		for _, d := range idx {
			in[d] = true
		}
		for d := range seen {
			if !in[d] {
				clobbers++
				break
			}
		}
		for d := range in {
			seen[d] = true
		}
	}
	return len(p.indexes), clobbers
}
