package kube

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/oci"
	"github.com/google/go-containerregistry/pkg/authn"
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
// push`'s library pushes v2 (module-lead's GO is enough) to the tag: the same Pod is then
// admitted without a restart, and gate_policy_swaps_total reads 1.
func TestAFollowedPolicyBundleSwapsOnARunningWebhook(t *testing.T) {
	requireE2E(t)
	ctx := context.Background()
	c := startCluster(t)
	f := admittest.New(t)
	v1 := f.PushPolicy(t, "gate/policy", "prod", admittest.Production)
	image, _ := f.Image(t, "shop/api", "2.0")
	f.Evidence(t, image, "module-lead")
	// From here on the registry is private: the webhook reads its policy with its own
	// credentials, and the Pod's evidence with the Pod's.
	const user, password = "gate-reader", "s3cret"
	f.RequireBasicAuth(user, password)
	admin := c.client(t, adminToken, nil)
	for name, labels := range map[string]map[string]string{gateNamespace: nil, "shop": {guardLabel: "true"}} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dockerConfig := []byte(`{"auths":{"` + f.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":"+password)) + `"}}}`)
	for _, ns := range []string{gateNamespace, "shop"} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig}}
		if _, err := admin.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	policyRef := "oci://" + f.Host + "/gate/policy:prod"
	values := bundleValues(t, f, policyRef)
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
	pods := newPodRunner(t, c, gateNamespace, webhookToken)

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
	d := pods.deployment(t, "gate")
	rep := pods.start(t, d) // fails the test unless the webhook read and verified v1
	svc.add(rep.addr)
	metrics := func() string { return (&e2e{probeAddr: rep.probeAddr}).scrape(t) }

	pod := func() *corev1.Pod {
		p := newPod(image, nil)
		p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
		return p
	}
	t.Run("policy v1 refuses an image only module-lead approved", func(t *testing.T) {
		_, err := admin.CoreV1().Pods("shop").Create(ctx, pod(), metav1.CreateOptions{})
		wantRefused(t, err, image, "not blessed for production", "gate approval/qa failed")
		if !strings.Contains(metrics(), "gate_policy_swaps_total 0\n") {
			t.Errorf("swaps before any push:\n%s", grepLines(metrics(), "gate_policy_"))
		}
	})

	t.Run("v2 pushed to the tag admits the same Pod without a restart, and one swap is counted", func(t *testing.T) {
		keychain := staticKeychain{f.Host, &authn.Basic{Username: user, Password: password}}
		pushed, err := bundle.Push(ctx, oci.NewClient(oci.WithKeychain(keychain)), f.Signer(admittest.PolicyOwner),
			f.Host+"/gate/policy:prod", filepath.Join(f.Dir, "policies"), filepath.Join(f.Dir, admittest.Staging+".json"))
		if err != nil {
			t.Fatalf("pushing v2: %v", err)
		}
		if pushed.Digest == v1 {
			t.Fatalf("v2 has v1's digest %s", v1)
		}
		began := time.Now()
		for {
			_, err := admin.CoreV1().Pods("shop").Create(ctx, pod(), metav1.CreateOptions{})
			if err == nil {
				break
			}
			if time.Since(began) > swappedWithin {
				t.Fatalf("still refused %s after v2 was pushed (policyPoll %s): %v\nmetrics:\n%s\nwebhook log:\n%s", swappedWithin, policyPoll, err,
					grepLines(metrics(), "gate_policy_"), tail(pods.log(rep), 20))
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("admitted %s after v2 was pushed (policyPoll %s)", time.Since(began).Round(time.Millisecond), policyPoll)
		m := metrics()
		if !strings.Contains(m, "gate_policy_swaps_total 1\n") || !strings.Contains(m, "gate_policy_poll_failures_total 0\n") {
			t.Errorf("want one swap and no failed poll:\n%s", grepLines(m, "gate_policy_"))
		}
		if !strings.Contains(pods.log(rep), pushed.Digest.DigestStr()) {
			t.Errorf("the webhook's log does not name v2's digest %s:\n%s", pushed.Digest.DigestStr(), tail(pods.log(rep), 20))
		}
	})
}

// bundleValues are trustValues whose production policy is the bundle policyRef, followed every
// policyPoll and signed by admittest.PolicyOwner (whose key the chart mounts).
func bundleValues(t *testing.T, f *admittest.Fixture, policyRef string) map[string]any {
	t.Helper()
	f.BundleConfig(t, policyRef, "") // makes PolicyOwner's key, beside the others
	values := trustValues(t, f)
	keys := values["keys"].(map[string]string)
	pub, err := os.ReadFile(filepath.Join(f.Dir, admittest.PolicyOwner+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	keys[admittest.PolicyOwner+".pub"] = string(pub)
	trust := values["trustConfig"].(string)
	for old, new := range map[string]string{
		"environments:\n": "  " + admittest.PolicyOwner + ": {keys: [keys/" + admittest.PolicyOwner + ".pub], maySign: [policy]}\nenvironments:\n",
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

// staticKeychain gives one registry host one authenticator: the credentials of whoever
// runs `gate policy push`.
type staticKeychain struct {
	host string
	auth authn.Authenticator
}

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() == k.host {
		return k.auth, nil
	}
	return authn.Anonymous, nil
}
