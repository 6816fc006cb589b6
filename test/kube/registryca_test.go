package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestARegistryBehindAPrivateCAIsReachedThroughRegistryCABundle serves a registry over TLS
// with a certificate of a CA that only the test knows, installs the chart without and then with
// registryCABundle, and runs `gate verify` of an image there with exactly the environment and
// files the Deployment gives its container: without the bundle the registry's certificate is
// refused (exit 2); with it gate reads the registry and decides (exit 1: no evidence).
func TestARegistryBehindAPrivateCAIsReachedThroughRegistryCABundle(t *testing.T) {
	requireE2E(t)
	regCA := newCA(t, "private registry CA")
	certFile, keyFile := regCA.issue(t, t.TempDir(), "registry", 3)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(registry.New())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "https://") + "/private/app:1.0"
	pool := x509.NewCertPool()
	pool.AddCert(regCA.cert)
	push := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(must(name.ParseReference(ref)), img, remote.WithTransport(push)); err != nil {
		t.Fatalf("pushing to the private registry: %v", err)
	}

	c := startCluster(t)
	admin := c.client(t, adminToken, nil)
	if _, err := admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: gateNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	values := trustValues(t, admittest.New(t))
	kubeconfig := c.kubeconfig(t, adminToken)
	pods := newPodRunner(t, c, gateNamespace, webhookToken)
	verify := func(verb string, v map[string]any) (int, string) {
		t.Helper()
		if _, errOut, err := helm(t, v, verb, "gate", chartDir(), "--namespace", gateNamespace, "--kubeconfig", kubeconfig); err != nil {
			t.Fatalf("helm %s: %v\n%s", verb, err, errOut)
		}
		d := pods.deployment(t, "gate")
		ctr := pods.prepare(t, d, pods.newReplica(t, d))
		out, err := ctr.command(pods.bin, "verify", ref, "--config="+ctr.arg(t, "config"), "--timeout=20s").CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}

	code, out := verify("install", values)
	t.Logf("without registryCABundle: exit %d\n%s", code, out)
	if code != 2 || !containsAny(out, []string{"x509", "certificate"}) {
		t.Errorf("without the bundle: exit %d, want 2 with the certificate refused", code)
	}
	code, out = verify("upgrade", merged(values, map[string]any{"registryCABundle": string(regCA.certPEM)}))
	t.Logf("with registryCABundle: exit %d\n%s", code, out)
	if code != 1 || containsAny(out, []string{"x509", "certificate signed by unknown authority"}) {
		t.Errorf("with the bundle: exit %d, want 1 (the registry read, no evidence)", code)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("must: %v", err))
	}
	return v
}
