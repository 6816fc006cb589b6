package admission_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	admissionv1 "k8s.io/api/admission/v1"
)

// chartMemoryLimit is the memory limit charts/gate/values.yaml sets on the webhook.
const chartMemoryLimit = 512 << 20

// Slow-body attack of issue 8: stalled connections, each with a review of nearly the largest size.
const (
	attackConns = 64
	attackBytes = admission.MaxRequestBytes - 1<<10
)

// TestStalledBodiesStayUnderTheMemoryLimit runs gate-webhook as its own process and sends it,
// from 64 unauthenticated TLS connections, 7 MiB − 1 KiB of a 7 MiB review each, then stalls
// them all. The process's peak resident memory must stay under the chart's limit, a normal
// review sent meanwhile must be answered, and the server must close the stalled connections.
func TestStalledBodiesStayUnderTheMemoryLimit(t *testing.T) {
	if os.Getenv("GATE_E2E") != "1" {
		t.Skip("runs the gate binary as a process: set GATE_E2E=1 (scripts/e2e-registry.sh does)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gate-webhook")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gate-webhook")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gate-webhook: %v\n%s", err, out)
	}
	f := admittest.New(t)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeSelfSigned(t, certFile, keyFile, 1)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	// An API server that is not there: the webhook's own namespace needs none.
	if err := writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: x}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
`); err != nil {
		t.Fatal(err)
	}
	addr, probes := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", f.ConfigPath, "--tls-cert", certFile, "--tls-key", keyFile,
		"--addr", addr, "--probe-addr", probes, "--kubeconfig", kubeconfig, "--namespace", "gate-system")
	// The chart gives the webhook its container's memory limit, which sets its collector.
	cmd.Env = append(os.Environ(), fmt.Sprintf("GATE_MEMORY_LIMIT=%d", chartMemoryLimit))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("webhook log:\n%s", tail(logs.String(), 4000))
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	waitHealthy(t, client, "http://"+probes+"/healthz")
	before := procStatus(t, cmd.Process.Pid, "VmRSS")

	attackStart := time.Now()
	var wg sync.WaitGroup
	conns := make(chan net.Conn, attackConns)
	for range attackConns {
		wg.Go(func() {
			c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				return // refused outright is fine
			}
			conns <- c
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
				admission.ValidatePath, addr, admission.MaxRequestBytes)
			body := append([]byte(head+`{"request":"`), bytes.Repeat([]byte("a"), attackBytes-len(`{"request":"`))...)
			_, _ = c.Write(body) // then stall: the last KiB never comes
		})
	}
	wg.Wait()
	close(conns)

	// A normal review is answered while the attack holds its connections.
	req := request(t, admissionv1.Create, "gate-system", pod("web", podSpec("registry.example/web:1"), nil), nil)
	body := mustJSON(t, admissionv1.AdmissionReview{Request: req})
	body = bytes.Replace(body, []byte(`{"request"`), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request"`), 1)
	resp, err := client.Post("https://"+addr+admission.ValidatePath+"?timeout=10s", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("a normal review during the attack: %v", err)
	}
	answer, _ := bufio.NewReader(resp.Body).ReadString(0)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(answer, `"allowed":true`) {
		t.Errorf("a normal review during the attack: HTTP %d %s", resp.StatusCode, answer)
	}

	peak := procStatus(t, cmd.Process.Pid, "VmHWM")
	t.Logf("resident memory: %d MiB before the attack, %d MiB at its peak (limit %d MiB); %s", before>>20, peak>>20, chartMemoryLimit>>20, collectorLine(logs.String()))
	if peak >= chartMemoryLimit {
		t.Errorf("peak resident memory %d MiB, over the chart's limit of %d MiB: the pod would be OOM-killed", peak>>20, chartMemoryLimit>>20)
	}

	// The server closes every stalled connection itself, within its read timeout.
	for c := range conns {
		_ = c.SetReadDeadline(attackStart.Add(20 * time.Second))
		_, err := bufio.NewReader(c).ReadString(0)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("a stalled connection still open %s after the attack began", time.Since(attackStart).Round(time.Second))
		}
		c.Close()
	}
}

// collectorLine is the webhook's log line saying how it collects garbage.
func collectorLine(logs string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "garbage collector") {
			return l
		}
	}
	return "no garbage collector line in the log"
}

// procStatus reads a field of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, c *http.Client, url string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s did not answer within 30 s", url)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
