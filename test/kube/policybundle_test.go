package kube

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// policyPoll is short here so that the test waits seconds; gate's default is 1m.
const policyPoll = 2 * time.Second

// swappedWithin is how long a pushed bundle may take to decide admissions: a poll, then a
// fetch, a signature check and a compile on a machine busy with other builds. Generous: it
// catches "never", not "slow".
const swappedWithin = 3*policyPoll + 30*time.Second

// TestAFollowedPolicyBundleSwapsOnARunningWebhook installs the chart with production's policy
// a signed bundle followed by tag (oci://…:prod, policyPoll 2s) in a registry that asks every
// client for credentials, and runs its Deployment as a kubelet would (pod_test.go), from gate's
// image. Without registryCredentials the webhook cannot read its policy and does not start;
// with them it starts on v1, which refuses an image only module-lead approved. `gate policy
// push` (the image's gate, with a key of `gate generate-key-pair` and the pusher's Docker
// config) pushes v2 (module-lead's GO is enough) to the tag: the same Pod is then admitted
// without a restart and gate_policy_swaps_total reads 1; v1 pushed back refuses it again.
func TestAFollowedPolicyBundleSwapsOnARunningWebhook(t *testing.T) {
	requireE2E(t)
	ctx := context.Background()
	c := startCluster(t)
	f := admittest.New(t)
	image, _ := f.Image(t, "shop/api", "2.0")
	f.Evidence(t, image, "module-lead")
	// From here on the registry is private: the policy owner pushes with their credentials, the
	// webhook reads its policy with its own, and the Pod's evidence with the Pod's.
	const user, password = "gate-reader", "s3cret"
	f.RequireBasicAuth(user, password)
	dockerConfig := []byte(`{"auths":{"` + f.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":"+password)) + `"}}}`)
	pods := newPodRunner(t, c, gateNamespace, webhookToken)
	owner := newPolicyOwner(t, pods.bin, dockerConfig)
	policyRef := "oci://" + f.Host + "/gate/policy:prod"
	push := func(t *testing.T, env string) string {
		t.Helper()
		return owner.push(t, policyRef, filepath.Join(f.Dir, "policies"), filepath.Join(f.Dir, env+".json"))
	}
	v1 := push(t, admittest.Production)

	admin := c.client(t, adminToken, nil)
	for name, labels := range map[string]map[string]string{gateNamespace: nil, "shop": {guardLabel: "true"}} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{gateNamespace, "shop"} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig}}
		if _, err := admin.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	values := bundleValues(t, f, owner.pub, policyRef)
	svc := newService(t)
	values["webhook"] = map[string]any{"url": "https://" + svc.addr(), "timeoutSeconds": 5}
	values["certificates"] = map[string]any{"mode": "self"}
	values["replicaCount"] = 1
	kubeconfig := c.kubeconfig(t, adminToken)
	helmApply := func(verb string, v map[string]any) {
		t.Helper()
		if _, errOut, err := helm(t, v, verb, "gate", chartDir(), "--namespace", gateNamespace, "--kubeconfig", kubeconfig); err != nil {
			t.Fatalf("helm %s: %v\n%s", verb, err, errOut)
		}
	}

	t.Run("without registryCredentials the webhook cannot read its policy and does not start", func(t *testing.T) {
		helmApply("install", values)
		d := pods.deployment(t, "gate")
		ctr := pods.prepare(t, d, pods.newReplica(t, d))
		cmd := ctr.command(ctr.argv[0], ctr.argv[1:]...)
		timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
		out, err := cmd.CombinedOutput()
		timer.Stop()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || exit.ExitCode() == -1 {
			t.Fatalf("the webhook did not exit with an error on a policy it may not read (%v):\n%s", err, tail(string(out), 20))
		}
		t.Logf("exit %d:\n%s", exit.ExitCode(), tail(string(out), 5))
		if !strings.Contains(string(out), f.Host+"/gate/policy") || !containsAny(string(out), []string{"401", "UNAUTHORIZED", "authentication", "credentials"}) {
			t.Errorf("the webhook's error does not name the policy and the refused credentials:\n%s", tail(string(out), 20))
		}
	})
	values["registryCredentials"] = map[string]any{"secretName": "regcred"}
	helmApply("upgrade", values)
	rep := pods.start(t, pods.deployment(t, "gate")) // fails the test unless the webhook read and verified v1
	svc.add(rep.addr)
	// metrics returns the webhook's gate_policy_ series, one a line.
	metrics := func() string { return grepLines((&e2e{probeAddr: rep.probeAddr}).scrape(t), "gate_policy_") + "\n" }

	create := func() error {
		p := newPod(image, nil)
		p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
		_, err := admin.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{})
		return err
	}
	// waitFor creates the Pod until it is admitted (or refused) as want, after a push.
	waitFor := func(t *testing.T, admitted bool, digest string) {
		t.Helper()
		began := time.Now()
		for {
			err := create()
			if (err == nil) == admitted {
				t.Logf("%s %s after the push (policyPoll %s)", map[bool]string{true: "admitted", false: "refused"}[admitted],
					time.Since(began).Round(time.Millisecond), policyPoll)
				break
			}
			if time.Since(began) > swappedWithin {
				t.Fatalf("%s after the push (policyPoll %s), the Pod is not yet %s: %v\nmetrics:\n%s\nwebhook log:\n%s", swappedWithin, policyPoll,
					map[bool]string{true: "admitted", false: "refused"}[admitted], err, metrics(), tail(pods.log(rep), 20))
			}
			time.Sleep(250 * time.Millisecond)
		}
		changes := strings.Split(grepLines(pods.log(rep), "policy changed"), "\n")
		if last := changes[len(changes)-1]; !strings.Contains(last, `"to":"oci://`+f.Host+"/gate/policy@"+digest+`"`) {
			t.Errorf("the webhook's last policy change does not name %s: %q\n%s", digest, last, tail(pods.log(rep), 20))
		}
	}

	t.Run("policy v1 refuses an image only module-lead approved", func(t *testing.T) {
		wantRefused(t, create(), image, "not blessed for production", "gate approval/qa failed")
		if m := metrics(); !strings.Contains(m, "gate_policy_swaps_total 0\n") {
			t.Errorf("swaps before any push:\n%s", m)
		}
	})
	t.Run("v2 pushed to the tag admits the same Pod without a restart, and one swap is counted", func(t *testing.T) {
		v2 := push(t, admittest.Staging)
		if v2 == v1 {
			t.Fatalf("v2 has v1's digest %s", v1)
		}
		waitFor(t, true, v2)
		if m := metrics(); !strings.Contains(m, "gate_policy_swaps_total 1\n") || !strings.Contains(m, "gate_policy_poll_failures_total 0\n") {
			t.Errorf("want one swap and no failed poll:\n%s", m)
		}
	})
	t.Run("v1 pushed back (a rollback) refuses it again", func(t *testing.T) {
		if back := push(t, admittest.Production); back != v1 {
			t.Fatalf("v1 pushed again is %s, not %s", back, v1)
		}
		waitFor(t, false, v1)
		if m := metrics(); !strings.Contains(m, "gate_policy_swaps_total 2\n") {
			t.Errorf("want two swaps:\n%s", m)
		}
	})
}

// policyOwner runs gate's CLI as a policy owner: their key pair (gate generate-key-pair) and
// their Docker config, and nothing of this machine's (its own HOME).
type policyOwner struct {
	bin, dir, key string
	pub           []byte
}

func newPolicyOwner(t *testing.T, bin string, dockerConfig []byte) *policyOwner {
	t.Helper()
	o := &policyOwner{bin: bin, dir: t.TempDir()}
	if err := os.Mkdir(filepath.Join(o.dir, ".docker"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(o.dir, ".docker", "config.json"), dockerConfig)
	o.run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(o.dir, "policy-owner"))
	o.key = filepath.Join(o.dir, "policy-owner.key")
	pub, err := os.ReadFile(filepath.Join(o.dir, "policy-owner.pub"))
	if err != nil {
		t.Fatal(err)
	}
	o.pub = pub
	return o
}

func (o *policyOwner) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(o.bin, args...)
	cmd.Env = []string{"HOME=" + o.dir, "DOCKER_CONFIG=" + filepath.Join(o.dir, ".docker"), "COSIGN_PASSWORD=e2e"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pushedDigest is the digest `gate policy push` reports.
var pushedDigest = regexp.MustCompile(`pushed policy bundle oci://\S+@(sha256:[0-9a-f]{64})`)

// push runs `gate policy push` and returns the bundle's digest.
func (o *policyOwner) push(t *testing.T, ref, policyDir, data string) string {
	t.Helper()
	out := o.run(t, "policy", "push", ref, "--key", o.key, "--policy", policyDir, "--data", data)
	m := pushedDigest.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("gate policy push reported no digest:\n%s", out)
	}
	return m[1]
}

// bundleValues are trustValues whose production policy is the bundle policyRef, followed every
// policyPoll and signed by the role policy-owner, whose key ownerPub the chart mounts.
func bundleValues(t *testing.T, f *admittest.Fixture, ownerPub []byte, policyRef string) map[string]any {
	t.Helper()
	values := trustValues(t, f)
	values["keys"].(map[string]string)["policy-owner.pub"] = string(ownerPub)
	trust := values["trustConfig"].(string)
	for old, new := range map[string]string{
		"environments:\n": "  policy-owner: {keys: [keys/policy-owner.pub], maySign: [policy]}\nenvironments:\n",
		"production: {policy: policies, data: data/production.json}": `production: {policy: "` + policyRef + `", policyPoll: ` + policyPoll.String() + `}`,
	} {
		if !strings.Contains(trust, old) {
			t.Fatalf("trustValues changed: no %q in\n%s", old, trust)
		}
		trust = strings.Replace(trust, old, new, 1)
	}
	values["trustConfig"] = trust
	return values
}
