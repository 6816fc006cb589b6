package kube

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The versions scripts/install-kube.sh builds. GATE_KUBE_APISERVER, GATE_ETCD and GATE_HELM
// name other binaries.
const (
	kubeVersion = "v1.37.1"
	etcdVersion = "v3.6.16"
	helmVersion = "v4.3.1"
)

// Users of the test API server, authenticated by static tokens.
const (
	adminToken   = "admin-token"
	aliceToken   = "alice-token"
	alice        = "alice@example.com"
	webhookToken = "gate-token"
	// webhookUser is the chart's service account, so that the chart's RBAC is what the webhook has.
	webhookUser = "system:serviceaccount:gate-system:gate"
)

// requireE2E skips unless GATE_E2E=1.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("GATE_E2E") != "1" {
		t.Skip("end-to-end test against a real kube-apiserver and etcd: set GATE_E2E=1, or run scripts/e2e-kube.sh, which builds them first")
	}
}

// tool finds a binary scripts/install-kube.sh built, failing the test when it is missing.
func tool(t *testing.T, env, name, version string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	dir := os.Getenv("GATE_TOOLS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "gate", "tools")
	}
	p := filepath.Join(dir, name+"-"+version, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s %s is missing (%v): run scripts/install-kube.sh, or scripts/e2e-kube.sh which runs it", name, version, err)
	}
	return p
}

// cluster is a kube-apiserver and its etcd on loopback: no kubelet, no scheduler, no
// controller-manager, so Pods are stored and never run.
type cluster struct {
	dir  string
	host string
	ca   *ca
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	apiserver := tool(t, "GATE_KUBE_APISERVER", "kube-apiserver", kubeVersion)
	etcd := tool(t, "GATE_ETCD", "etcd", etcdVersion)
	c := &cluster{dir: t.TempDir(), ca: newCA(t, "kube-ca")}
	etcdPort, peerPort, apiPort := freePort(t), freePort(t), freePort(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	start(t, c.dir, "etcd", etcd, "--data-dir", filepath.Join(c.dir, "etcd"), "--name", "e2e",
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "e2e="+peerURL,
		"--log-level", "warn")

	certFile, keyFile := c.ca.issue(t, c.dir, "apiserver", 2)
	caFile := filepath.Join(c.dir, "ca.crt")
	writeFile(t, caFile, c.ca.certPEM)
	saKey, saPub := filepath.Join(c.dir, "sa.key"), filepath.Join(c.dir, "sa.pub")
	sa := newCA(t, "sa").key
	saDER, _ := x509.MarshalECPrivateKey(sa)
	writeFile(t, saKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: saDER}))
	pubDER, _ := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	writeFile(t, saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	tokens := filepath.Join(c.dir, "tokens.csv")
	writeFile(t, tokens, []byte(strings.Join([]string{
		adminToken + ",admin,admin,system:masters",
		aliceToken + "," + alice + ",alice,\"system:masters,developers\"",
		webhookToken + "," + webhookUser + ",gate,\"system:serviceaccounts,system:serviceaccounts:gate-system\"",
	}, "\n")+"\n"))
	_, exited := start(t, c.dir, "kube-apiserver", apiserver,
		"--etcd-servers="+etcdURL, "--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", apiPort),
		"--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
		"--tls-cert-file="+certFile, "--tls-private-key-file="+keyFile, "--client-ca-file="+caFile,
		"--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/24", "--disable-admission-plugins=ServiceAccount")
	c.host = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	waitReady(t, c.client(t, adminToken, nil).Discovery().RESTClient().Get().AbsPath("/readyz"), exited, filepath.Join(c.dir, "kube-apiserver.log"))
	return c
}

// start runs a server process until the test ends, its output in dir/name.log; the channel
// is closed when it exits.
func start(t *testing.T, dir, name, bin string, args ...string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() { stop(cmd, done) })
	return cmd, done
}

// stop ends a process started by start, politely first.
func stop(cmd *exec.Cmd, done <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func waitReady(t *testing.T, req *rest.Request, exited <-chan struct{}, logFile string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("kube-apiserver exited:\n%s", tail(string(log), 40))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = req.DoRaw(ctx)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(logFile)
	t.Fatalf("kube-apiserver not ready after 60 s: %v\n%s", err, tail(string(log), 40))
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// config is a client config for the user of token; warnings, when set, collects the
// warnings the API server returns, as kubectl prints them.
func (c *cluster) config(token string, warnings *warningLog) *rest.Config {
	cfg := &rest.Config{Host: c.host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.certPEM},
		QPS: 100, Burst: 200, Timeout: 60 * time.Second}
	if warnings != nil {
		cfg.WarningHandler = warnings
	}
	return cfg
}

func (c *cluster) client(t *testing.T, token string, warnings *warningLog) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.config(token, warnings))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (c *cluster) dynamic(t *testing.T) *dynamic.DynamicClient {
	t.Helper()
	d, err := dynamic.NewForConfig(c.config(adminToken, nil))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// kubeconfig writes a kubeconfig for the user of token.
func (c *cluster) kubeconfig(t *testing.T, token string) string {
	t.Helper()
	caFile := filepath.Join(c.dir, "ca.crt")
	path := filepath.Join(c.dir, "kubeconfig-"+token)
	writeFile(t, path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: u, user: {token: %q}}]
contexts: [{name: e2e, context: {cluster: e2e, user: u}}]
current-context: e2e
`, c.host, caFile, token)))
	return path
}

// warningLog collects the warnings of API responses.
type warningLog struct {
	mu   sync.Mutex
	list []string
}

func (w *warningLog) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// take returns the warnings collected since the last take.
func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}
