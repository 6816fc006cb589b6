package kube

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// There is no kubelet here. A replica of the chart's Deployment is the gate binary run the way
// a kubelet would run the container, from the Deployment's pod template and nothing else:
//   - its args and env exactly (fieldRefs and ConfigMap/Secret key refs resolved from the API
//     server), and no other environment;
//   - every volumeMount materialized from the API server's ConfigMaps and Secrets (projected,
//     configMap, secret, emptyDir) under a directory standing for the container's root, and
//     every path in args and env that starts with a mountPath moved under that directory;
//   - as podSecurityContext.runAsUser/runAsGroup when the test runs as root, so that a file the
//     image's user cannot read fails;
//   - the pod network stands for itself: --addr and --probe-addr get a loopback port of their
//     own (each Pod has its own IP), and the in-cluster config (a service account token at a
//     fixed root path) is a kubeconfig with the chart's service account's token.
// Not simulated: readOnlyRootFilesystem, resource limits, probes' timing.

// gateImageLayout names an OCI image layout (make image's, under dist/) whose gate binary the
// replicas run instead of one built from this tree.
const gateImageLayout = "GATE_IMAGE_LAYOUT"

// gateBinary returns the gate executable replicas run.
func gateBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "gate")
	if layout := os.Getenv(gateImageLayout); layout != "" {
		// HOOK (issue 9 item 6): take the entrypoint from the image's layers, for the platform
		// of this machine, and run it as the image's user. To be wired once `make image`
		// lands: layout.ImageIndexFromPath(layout) → the linux/GOARCH image → its config's
		// Entrypoint → that file out of mutate.Extract(image), written to bin with mode 0755.
		t.Fatalf("%s=%s: running the image's binary is not wired yet (see gateBinary)", gateImageLayout, layout)
	}
	build := exec.Command("go", "build", "-o", bin, "./cmd/gate")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gate: %v\n%s", err, out)
	}
	return bin
}

// replica is one running "Pod" of the Deployment.
type replica struct {
	name, root         string
	addr, probeAddr    string
	cmd                *exec.Cmd
	done               <-chan struct{}
	templateGeneration string // the pod template it runs, as a hash of its JSON
}

// podRunner starts replicas of a Deployment stored on the API server.
type podRunner struct {
	c         *cluster
	admin     kubernetes.Interface
	bin       string
	dir       string // everything lives here, readable by the Pod's user
	namespace string
	token     string // the service account's, for the in-cluster config stand-in
	n         int
}

func newPodRunner(t *testing.T, c *cluster, namespace, token string) *podRunner {
	t.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("gate-pods-%d", time.Now().UnixNano()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &podRunner{c: c, admin: c.client(t, adminToken, nil), bin: gateBinary(t, dir), dir: dir, namespace: namespace, token: token}
}

// deployment reads the Deployment as the API server stores it.
func (r *podRunner) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, err := r.admin.AppsV1().Deployments(r.namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// deploymentFrom converts a rendered Deployment.
func deploymentFrom(t *testing.T, o *unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	if err := kruntime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// container is what a kubelet would run for one Pod of a Deployment.
type container struct {
	args []string // the Deployment's, paths moved under the Pod's root, addresses given
	env  []string // the Deployment's and nothing else
	cred *syscall.Credential
}

// prepare lays out a Pod of d (its mounts, env and args) for rep.
func (r *podRunner) prepare(t *testing.T, d *appsv1.Deployment, rep *replica) *container {
	t.Helper()
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(spec.Containers))
	}
	ctr := spec.Containers[0]
	if len(ctr.Command) != 0 {
		t.Fatalf("the Deployment overrides the image's entrypoint with %v", ctr.Command)
	}
	var mountPaths []string
	for _, m := range ctr.VolumeMounts {
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 {
			t.Fatalf("volumeMount %s names no volume", m.Name)
		}
		r.materialize(t, spec.Volumes[i], filepath.Join(rep.root, m.MountPath))
		mountPaths = append(mountPaths, m.MountPath)
	}
	slices.SortFunc(mountPaths, func(a, b string) int { return len(b) - len(a) }) // the longest first
	remap := func(s string) string {
		for _, mp := range mountPaths {
			if i := strings.Index(s, mp); i >= 0 && (len(s) == i+len(mp) || s[i+len(mp)] == '/') {
				return s[:i] + filepath.Join(rep.root, mp) + s[i+len(mp):]
			}
		}
		return s
	}
	c := &container{}
	for _, a := range ctr.Args {
		switch {
		case strings.HasPrefix(a, "--addr="):
			a = "--addr=" + rep.addr
		case strings.HasPrefix(a, "--probe-addr="):
			a = "--probe-addr=" + rep.probeAddr
		}
		c.args = append(c.args, remap(a))
	}
	c.args = append(c.args, "--kubeconfig="+r.kubeconfig(t))
	for _, e := range ctr.Env {
		c.env = append(c.env, e.Name+"="+remap(r.envValue(t, e, rep.name)))
	}
	if psc := spec.SecurityContext; psc != nil && psc.RunAsUser != nil && os.Getuid() == 0 {
		gid := uint32(*psc.RunAsUser)
		if psc.RunAsGroup != nil {
			gid = uint32(*psc.RunAsGroup)
		}
		c.cred = &syscall.Credential{Uid: uint32(*psc.RunAsUser), Gid: gid}
	}
	return c
}

// newReplica names the next replica of d.
func (r *podRunner) newReplica(t *testing.T, d *appsv1.Deployment) *replica {
	t.Helper()
	r.n++
	return &replica{name: fmt.Sprintf("%s-%d", d.Name, r.n), root: filepath.Join(r.dir, fmt.Sprintf("pod-%d", r.n)),
		addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), probeAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		templateGeneration: templateHash(t, d)}
}

// command is the container's process with other args, for running gate's other verbs with
// exactly the Pod's environment and files.
func (c *container) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = c.env, "/"
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// arg returns the value of the container's --name=value argument.
func (c *container) arg(t *testing.T, name string) string {
	t.Helper()
	for _, a := range c.args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	t.Fatalf("the Deployment gives no --%s", name)
	return ""
}

// start runs one replica of d's pod template and waits until it is ready.
func (r *podRunner) start(t *testing.T, d *appsv1.Deployment) *replica {
	t.Helper()
	rep := r.newReplica(t, d)
	ctr := r.prepare(t, d, rep)
	logFile, err := os.Create(filepath.Join(r.dir, rep.name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := ctr.command(r.bin, ctr.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting replica %s: %v", rep.name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(done) }()
	rep.cmd, rep.done = cmd, done
	t.Cleanup(func() { stop(cmd, done) })
	r.waitReady(t, rep)
	return rep
}

func (r *podRunner) waitReady(t *testing.T, rep *replica) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-rep.done:
			t.Fatalf("replica %s exited:\n%s", rep.name, tail(r.log(rep), 30))
		default:
		}
		if resp, err := http.Get("http://" + rep.probeAddr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("replica %s is not ready after 30 s:\n%s", rep.name, tail(r.log(rep), 30))
}

func (r *podRunner) log(rep *replica) string {
	b, _ := os.ReadFile(filepath.Join(r.dir, rep.name+".log"))
	return string(b)
}

// kubeconfig stands for the in-cluster config: the API server, its CA and the service account's token.
func (r *podRunner) kubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(r.dir, "kubeconfig")
	r.write(t, path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: %q, certificate-authority-data: %q}}]
users: [{name: sa, user: {token: %q}}]
contexts: [{name: e2e, context: {cluster: e2e, user: sa}}]
current-context: e2e
`, r.c.host, encodeB64(r.c.ca.certPEM), r.token)))
	return path
}

func (r *podRunner) envValue(t *testing.T, e corev1.EnvVar, podName string) string {
	t.Helper()
	if e.ValueFrom == nil {
		return e.Value
	}
	ctx := context.Background()
	switch vf := e.ValueFrom; {
	case vf.FieldRef != nil && vf.FieldRef.FieldPath == "metadata.namespace":
		return r.namespace
	case vf.FieldRef != nil && vf.FieldRef.FieldPath == "metadata.name":
		return podName
	case vf.ConfigMapKeyRef != nil:
		cm, err := r.admin.CoreV1().ConfigMaps(r.namespace).Get(ctx, vf.ConfigMapKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("env %s: %v", e.Name, err)
		}
		return cm.Data[vf.ConfigMapKeyRef.Key]
	case vf.SecretKeyRef != nil:
		s, err := r.admin.CoreV1().Secrets(r.namespace).Get(ctx, vf.SecretKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("env %s: %v", e.Name, err)
		}
		return string(s.Data[vf.SecretKeyRef.Key])
	}
	t.Fatalf("env %s: this stand-in for the kubelet cannot resolve %+v", e.Name, e.ValueFrom)
	return ""
}

// materialize writes what the kubelet would mount from v at dir.
func (r *podRunner) materialize(t *testing.T, v corev1.Volume, dir string) {
	t.Helper()
	ctx := context.Background()
	configMap := func(name string, items []corev1.KeyToPath) {
		cm, err := r.admin.CoreV1().ConfigMaps(r.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("volume %s: %v", v.Name, err)
		}
		data := map[string][]byte{}
		for k, s := range cm.Data {
			data[k] = []byte(s)
		}
		r.writeItems(t, v.Name, dir, data, items)
	}
	secret := func(name string, items []corev1.KeyToPath) {
		s, err := r.admin.CoreV1().Secrets(r.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("volume %s: %v", v.Name, err)
		}
		r.writeItems(t, v.Name, dir, s.Data, items)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	switch {
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			switch {
			case src.ConfigMap != nil:
				configMap(src.ConfigMap.Name, src.ConfigMap.Items)
			case src.Secret != nil:
				secret(src.Secret.Name, src.Secret.Items)
			default:
				t.Fatalf("volume %s: this stand-in for the kubelet cannot project %+v", v.Name, src)
			}
		}
	case v.ConfigMap != nil:
		configMap(v.ConfigMap.Name, v.ConfigMap.Items)
	case v.Secret != nil:
		secret(v.Secret.SecretName, v.Secret.Items)
	case v.EmptyDir != nil:
	default:
		t.Fatalf("volume %s: this stand-in for the kubelet cannot mount %+v", v.Name, v.VolumeSource)
	}
}

// writeItems writes the keys items names (all keys without items), as the kubelet does, in
// the kubelet's default mode 0644.
func (r *podRunner) writeItems(t *testing.T, volume, dir string, data map[string][]byte, items []corev1.KeyToPath) {
	t.Helper()
	if items == nil {
		for k := range data {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		content, ok := data[it.Key]
		if !ok {
			t.Fatalf("volume %s mounts key %s, which its source lacks", volume, it.Key)
		}
		path := filepath.Join(dir, it.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		r.write(t, path, content)
	}
}

func (r *podRunner) write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// stopReplica ends a replica as the kubelet ends a Pod: SIGTERM, then SIGKILL after the grace.
func stopReplica(rep *replica) { stop(rep.cmd, rep.done) }
