package admission_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"github.com/gatehq/gate/pkg/bundle"
)

// A running webhook follows its policy tag: an image production's policy v1
// denies (no GO from qa and sre) is admitted once v2 (which asks only for
// module-lead's GO) is pushed to the tag, within a poll interval, with no
// restart, and the decision names v2's digest. A bundle nobody may sign,
// pushed to the tag next, is refused and v2 stays.
func TestWebhookSwapsPolicyWhenItsTagMoves(t *testing.T) {
	const poll = time.Second
	// slack is the time to fetch, verify and compile a bundle once the poll
	// saw it move, which a race-detector build on a loaded machine stretches.
	const slack = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := admittest.New(t)
	v1 := f.PushPolicy(t, "policy", "prod", admittest.Production)
	cfg, err := f.LoadBundleConfig(ctx, f.BundleConfig(t, "oci://"+f.Host+"/policy:prod", "policyPoll: "+poll.String()))
	if err != nil {
		t.Fatal(err)
	}
	f.Config = cfg
	img, _ := f.Image(t, "shop/api", "2.0")
	f.Evidence(t, img, "module-lead")
	w := newWebhook(t, f, webhookConfig, newCluster())
	// The re-verification of running Pods decides with a Checker of its own, sharing the
	// webhook's policies: it must follow the swaps too.
	rechecker, err := admit.NewChecker(f.Config, admit.WithTTL(0, 0), admit.WithConfigOf(w.checker))
	if err != nil {
		t.Fatal(err)
	}
	watch := admit.NewPolicyWatch(w.checker, f.Client, discard())
	changed := make(chan string, 4)
	watch.OnPolicyChange = func(env string) { changed <- env }
	go watch.Run(ctx)

	review := func() bool {
		return w.review(t, admission.ValidatePath, request(t, "CREATE", "shop", pod("api", podSpec(img), nil), nil)).Allowed
	}
	decidedWith := func() string {
		rs, err := w.checker.Check(ctx, admit.Client(f.Client), admittest.Production, []string{img})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("checking %s: %v %v", img, err, rs[0].Err)
		}
		return rs[0].Decision.PolicyVersion
	}
	if review() {
		t.Fatal("policy v1 admitted an image without qa's and sre's GO")
	}
	if got := decidedWith(); got != "oci://"+v1.String() {
		t.Fatalf("decided with %s, want v1 %s", got, v1)
	}

	v2 := f.PushPolicy(t, "policy", "prod", admittest.Staging)
	select {
	case env := <-changed:
		if env != admittest.Production {
			t.Fatalf("policy of %s changed, want production", env)
		}
	case <-time.After(poll + slack):
		t.Fatalf("policy not swapped within a poll interval (%s); failures %d", poll, watch.Failures())
	}
	if !review() {
		t.Fatal("policy v2 denied an image with module-lead's GO: the cached denial of v1 was reused or v2 not swapped in")
	}
	if got := decidedWith(); got != "oci://"+v2.String() {
		t.Errorf("decided with %s, want v2 %s", got, v2)
	}
	if rs, err := rechecker.Check(ctx, admit.Client(f.Client), admittest.Production, []string{img}); err != nil || rs[0].Err != nil || rs[0].Decision.PolicyVersion != "oci://"+v2.String() || !rs[0].Allowed() {
		t.Errorf("a Checker sharing the webhook's config did not follow the swap to v2 %s: %v %+v", v2, err, rs)
	}

	// A bundle signed by ci, who may not sign policies, moves the tag: it is refused, v2 stays.
	if err := os.WriteFile(filepath.Join(f.Dir, "lenient.json"), []byte(`{"required_tests": ["unit"], "max_approval_age": "168h"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f.PushPolicyAs(t, "ci", "policy", "prod", "lenient")
	deadline := time.Now().Add(poll + slack)
	for watch.Failures() == 0 && time.Now().Before(deadline) {
		time.Sleep(poll / 10)
	}
	if watch.Failures() == 0 {
		t.Fatal("the poll of an unsigned bundle was not counted as a failure")
	}
	if got := decidedWith(); got != "oci://"+v2.String() || !review() {
		t.Errorf("after an unsigned bundle: decided with %s, want v2 %s kept", got, v2)
	}
	if n := watch.Swaps(); n != 1 {
		t.Errorf("%d swaps, want 1", n)
	}

	// Rolling back is pointing the tag at the older digest again.
	if back := f.PushPolicy(t, "policy", "prod", admittest.Production); back != v1 {
		t.Fatalf("v1 pushed again is %s, not %s", back, v1)
	}
	select {
	case <-changed:
	case <-time.After(poll + slack):
		t.Fatal("policy not rolled back within a poll interval")
	}
	if got := decidedWith(); got != "oci://"+v1.String() || review() {
		t.Errorf("after the rollback: decided with %s, want v1 %s denying again", got, v1)
	}
}

// A webhook whose policy bundle does not verify at start does not start: it
// never serves with no policy, or one nobody allowed signed.
func TestWebhookRefusesToStartOnAnUnverifiedBundle(t *testing.T) {
	f := admittest.New(t)
	f.PushPolicyAs(t, "ci", "policy", "prod", admittest.Production)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := admission.Run(ctx, admission.Options{TrustConfig: f.BundleConfig(t, "oci://"+f.Host+"/policy:prod", ""),
		Kubeconfig: kubeconfig, Namespace: "gate-system", Addr: "127.0.0.1:0", ProbeAddr: "127.0.0.1:0", Log: discard()})
	if !errors.Is(err, bundle.ErrUnsigned) {
		t.Fatalf("Run: %v, want it to refuse to start with %v", err, bundle.ErrUnsigned)
	}
}
