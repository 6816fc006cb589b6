package kube

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestTheImageRunsTheChartsArgs checks, without an API server, what a wrong image would break
// first: the entrypoint is an executable file in the image, it accepts the args every
// certificate mode of the chart renders (`--help` after them parses them all and runs
// nothing), it is the version and commit the image's labels name, and the CA file the
// image's SSL_CERT_FILE names holds certificates the image's user can read.
func TestTheImageRunsTheChartsArgs(t *testing.T) {
	requireE2E(t)
	layoutDir := os.Getenv(gateImageLayout)
	if layoutDir == "" {
		t.Skipf("set %s to make image's layout (scripts/e2e-kube.sh does)", gateImageLayout)
	}
	dir, err := os.MkdirTemp("", "gate-image-") // not t.TempDir(): its parents are 0700, shut to the image's user
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	im := loadImage(t, layoutDir, dir)

	if fi, err := os.Stat(im.exe); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o001 == 0 {
		t.Fatalf("the entrypoint %s is not a file anyone may execute: %v %v", im.exe, fi, err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(im.entrypoint[0], append(slices.Clone(im.entrypoint[1:]), args...)...)
		cmd.Env, cmd.Dir = im.env, im.workDir
		if os.Getuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(*im.uid), Gid: uint32(*im.uid)}}
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, mode := range []string{"self", "cert-manager", "secret"} {
		d := deploymentFrom(t, objects(t, chartValues(mode))["Deployment/gate"])
		ctr := d.Spec.Template.Spec.Containers[0]
		if len(ctr.Command) > 0 {
			t.Errorf("%s: the chart overrides the image's entrypoint with %v", mode, ctr.Command)
		}
		args := append(slices.Clone(ctr.Args), "--help")
		if out, err := run(args...); err != nil || !strings.Contains(out, "webhook") {
			t.Errorf("%s: the image's entrypoint refuses the Deployment's args %v: %v\n%s", mode, ctr.Args, err, out)
		}
	}

	out, err := run("version", "--output", "json")
	var v struct{ Version, Commit string }
	if err != nil || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("gate version in the image: %v\n%s", err, out)
	}
	if v.Version != im.labels["org.opencontainers.image.version"] || v.Commit != im.labels["org.opencontainers.image.revision"] {
		t.Errorf("the image's gate says %+v; its labels %v", v, im.labels)
	}

	var certFile string
	for _, e := range im.env {
		if f, ok := strings.CutPrefix(e, "SSL_CERT_FILE="); ok {
			certFile = f
		}
	}
	if certFile == "" {
		t.Fatal("the image sets no SSL_CERT_FILE")
	}
	pem, err := os.ReadFile(certFile)
	if err != nil || !x509.NewCertPool().AppendCertsFromPEM(pem) {
		t.Fatalf("the image's CA file %s: %v (or no certificates in it)", certFile, err)
	}
	// Readable by the image's user: the file by others, and every directory above it searchable.
	for p := certFile; p != im.root; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		need := os.FileMode(0o004)
		if fi.IsDir() {
			need = 0o001
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uint32(*im.uid) && fi.Mode().Perm()&need == 0 {
			t.Errorf("%s (%v, owner %d) shuts the image's user out of its CA file", p, fi.Mode(), st.Uid)
		}
	}
}
