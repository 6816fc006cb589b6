package kube

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

// gateImageLayout names an OCI image layout (make image's; scripts/e2e-kube.sh always builds
// one) whose image replicas run, laid out by image_test.go, instead of gate built from this tree.
const gateImageLayout = "GATE_IMAGE_LAYOUT"

// gateImage returns what replicas run.
func gateImage(t *testing.T, dir string) *podImage {
	t.Helper()
	if layoutDir := os.Getenv(gateImageLayout); layoutDir != "" {
		return loadImage(t, layoutDir, dir)
	}
	return builtImage(t, dir)
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
	img       *podImage
	bin       string // the image's entrypoint program, for running gate's other verbs
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
	img := gateImage(t, dir)
	return &podRunner{c: c, admin: c.client(t, adminToken, nil), img: img, bin: img.exe, dir: dir, namespace: namespace, token: token}
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
	argv []string // the image's entrypoint and cmd as the Deployment's command and args override them
	args []string // argv's arguments: paths moved under the Pod's root, addresses given
	env  []string // the image's, under the Deployment's, and nothing else
	dir  string   // the image's working directory
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
	// As a kubelet does: command replaces the image's Entrypoint, and args its Cmd.
	entry, args := r.img.entrypoint, r.img.cmd
	if len(ctr.Command) > 0 {
		if r.img.root == "" {
			t.Fatalf("the Deployment overrides the entrypoint with %v, which only an image can resolve", ctr.Command)
		}
		entry, args = append([]string{r.img.inImage(ctr.Command[0])}, ctr.Command[1:]...), nil
	}
	if len(ctr.Args) > 0 {
		args = ctr.Args
	}
	c := &container{dir: r.img.workDir}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--addr="):
			a = "--addr=" + rep.addr
		case strings.HasPrefix(a, "--probe-addr="):
			a = "--probe-addr=" + rep.probeAddr
		}
		c.args = append(c.args, remap(a))
	}
	c.args = append(c.args, "--kubeconfig="+r.kubeconfig(t))
	c.argv = append(slices.Clone(entry), c.args...)
	// The image's env, each name the Deployment sets replaced by the Deployment's value.
	set := map[string]bool{}
	for _, e := range ctr.Env {
		set[e.Name] = true
	}
	for _, e := range r.img.env {
		if k, _, _ := strings.Cut(e, "="); !set[k] {
			c.env = append(c.env, e)
		}
	}
	for _, e := range ctr.Env {
		c.env = append(c.env, e.Name+"="+remap(r.envValue(t, e, rep.name, ctr)))
	}
	// The user: the container's securityContext, else the Pod's, else the image's (as root only).
	uid, gid := r.img.uid, r.img.gid
	if psc := spec.SecurityContext; psc != nil && psc.RunAsUser != nil {
		uid, gid = psc.RunAsUser, psc.RunAsGroup
	}
	if sc := ctr.SecurityContext; sc != nil && sc.RunAsUser != nil {
		uid, gid = sc.RunAsUser, sc.RunAsGroup
	}
	if uid != nil && os.Getuid() == 0 {
		if gid == nil {
			gid = uid
		}
		c.cred = &syscall.Credential{Uid: uint32(*uid), Gid: uint32(*gid)}
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
	cmd.Env, cmd.Dir = c.env, c.dir
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
	cmd := ctr.command(ctr.argv[0], ctr.argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting replica %s: %v", rep.name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(done) }()
	rep.cmd, rep.done = cmd, done
	t.Cleanup(func() { stop(cmd, done) })
	r.waitReady(t, rep)
	r.ranImage(t, rep)
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

// ranImage checks the replica's process runs the image's gate-webhook file (whose bytes
// loadImage compared with its layer's), which the entrypoint's gate webhook exec'd, not some
// other program.
func (r *podRunner) ranImage(t *testing.T, rep *replica) {
	t.Helper()
	running, err := os.Stat(fmt.Sprintf("/proc/%d/exe", rep.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("replica %s: %v", rep.name, err)
	}
	want, err := os.Stat(r.img.server)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(running, want) {
		t.Fatalf("replica %s runs %v, not the image's gate-webhook %s", rep.name, running, r.img.server)
	}
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

func (r *podRunner) envValue(t *testing.T, e corev1.EnvVar, podName string, ctr corev1.Container) string {
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
	case vf.ResourceFieldRef != nil && vf.ResourceFieldRef.Resource == "limits.memory" &&
		(vf.ResourceFieldRef.Divisor.IsZero() || vf.ResourceFieldRef.Divisor.MilliValue() == 1000):
		// In bytes, as the kubelet writes it; a container without a limit would get the node's
		// allocatable memory, which this stand-in does not know.
		if q, ok := ctr.Resources.Limits[corev1.ResourceMemory]; ok {
			return strconv.FormatInt(q.Value(), 10)
		}
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
