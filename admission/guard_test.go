package admission_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit/admittest"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const webhookConfig = `
namespaces:
  shop:    {environment: production}
  canary:  {environment: production, mode: warn}
  sandbox: {environment: staging}
breakGlass:
  namespaces: [shop]
deadline: 3s
`

func guarded(extra map[string]string) map[string]string {
	l := map[string]string{workload.DefaultNamespaceLabel: "true"}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

func newCluster() *cluster {
	return &cluster{labels: map[string]map[string]string{
		"shop": guarded(nil), "canary": guarded(nil), "sandbox": guarded(nil),
		"labelled":    guarded(map[string]string{workload.DefaultEnvironmentLabel: admittest.Staging}),
		"kube-system": guarded(nil), "gate-system": guarded(nil),
		"other": {"team": "shop"},
	}}
}

// images are the fixture's images: blessed for production, blessed for staging only (no GO
// from qa and sre), and with no evidence at all.
type images struct{ blessed, stagingOnly, bare string }

func newImages(t *testing.T, f *admittest.Fixture) images {
	var im images
	im.blessed, _ = f.Image(t, "shop/web", "1.0")
	f.Bless(t, im.blessed)
	im.stagingOnly, _ = f.Image(t, "shop/api", "2.0")
	f.Evidence(t, im.stagingOnly, "module-lead")
	im.bare, _ = f.Image(t, "shop/tool", "0.1")
	return im
}

func TestValidate(t *testing.T) {
	f := admittest.New(t)
	im := newImages(t, f)
	unblessed, _ := f.Image(t, "shop/extra", "0.1")
	glass := map[string]string{workload.DefaultBreakGlassAnnotation: "INC-4711: checkout down, hotfix cannot wait for QA"}
	withInit := podSpec(im.blessed)
	withInit.InitContainers = []corev1.Container{{Name: "migrate", Image: im.stagingOnly}}
	withEphemeral := podSpec(im.blessed)
	withEphemeral.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: im.bare}}}

	tests := []struct {
		name         string
		ns           string
		op           admissionv1.Operation
		sub          string
		obj, old     runtime.Object
		wantAllowed  bool
		wantMessage  []string // substrings of the status message
		wantWarnings []string // substrings of the warnings
		wantRecord   bool     // a break-glass record
		noRegistry   bool     // decided without asking the registry
	}{
		{name: "blessed pod is allowed", ns: "shop", obj: pod("web", podSpec(im.blessed), nil), wantAllowed: true},
		{name: "refusal names the image, the environment and the failing gate", ns: "shop", obj: pod("api", podSpec(im.stagingOnly), nil),
			wantMessage: []string{im.stagingOnly, "not blessed for production", "gate", "approval/"}},
		{name: "init containers are checked", ns: "shop", obj: pod("web", withInit, nil), wantMessage: []string{im.stagingOnly}},
		{name: "an ephemeral container added to a running pod is checked", ns: "shop", op: admissionv1.Update, sub: "ephemeralcontainers",
			obj: pod("web", withEphemeral, nil), old: pod("web", podSpec(im.blessed), nil), wantMessage: []string{im.bare, "gate tests/unit failed"}},
		{name: "an update that adds no image checks nothing", ns: "shop", op: admissionv1.Update,
			obj: pod("api", podSpec(im.stagingOnly), map[string]string{"x": "y"}), old: pod("api", podSpec(im.stagingOnly), nil), wantAllowed: true, noRegistry: true},
		{name: "every image refused is named, two at most", ns: "shop", obj: pod("web", podSpec(im.bare, im.stagingOnly, unblessed), nil),
			wantMessage: []string{im.bare, im.stagingOnly, "(and 1 more images not blessed)"}},
		{name: "a namespace without the opt-in label is not touched", ns: "other", obj: pod("api", podSpec(im.bare), nil), wantAllowed: true, noRegistry: true},
		{name: "kube-system is never guarded, even labelled", ns: "kube-system", obj: pod("dns", podSpec(im.bare), nil), wantAllowed: true, noRegistry: true},
		{name: "the webhook's own namespace is never guarded", ns: "gate-system", obj: pod("gate", podSpec(im.bare), nil), wantAllowed: true, noRegistry: true},
		{name: "the namespace's environment applies", ns: "sandbox", obj: pod("api", podSpec(im.stagingOnly), nil), wantAllowed: true},
		{name: "a namespace may name its environment by label", ns: "labelled", obj: pod("api", podSpec(im.stagingOnly), nil), wantAllowed: true},
		{name: "warn mode admits and warns with the reason", ns: "canary", obj: pod("api", podSpec(im.stagingOnly), nil), wantAllowed: true,
			wantWarnings: []string{"warn mode", im.stagingOnly, "approval/"}},
		{name: "break-glass admits where allowed, warns and is recorded", ns: "shop", obj: pod("api", podSpec(im.stagingOnly), glass), wantAllowed: true,
			wantWarnings: []string{"break-glass", im.stagingOnly}, wantRecord: true},
		{name: "break-glass is refused where the config does not allow it", ns: "sandbox", obj: pod("tool", podSpec(im.bare), glass),
			wantMessage: []string{im.bare, "break-glass is not allowed in namespace sandbox"}},
		{name: "break-glass needs a reason", ns: "shop", obj: pod("api", podSpec(im.stagingOnly), map[string]string{workload.DefaultBreakGlassAnnotation: " "}),
			wantMessage: []string{"break-glass needs a reason"}},
		{name: "deletion is not checked", ns: "shop", op: admissionv1.Delete, obj: pod("api", podSpec(im.bare), nil), wantAllowed: true, noRegistry: true},
		{name: "an object without a pod template is not checked", ns: "shop",
			obj: &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}}, wantAllowed: true, noRegistry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWebhook(t, f, webhookConfig, newCluster())
			op := tt.op
			if op == "" {
				op = admissionv1.Create
			}
			req := request(t, op, tt.ns, tt.obj, tt.old)
			req.SubResource = tt.sub
			before := f.Requests.Load()
			resp := w.review(t, admission.ValidatePath, req)
			if resp.Allowed != tt.wantAllowed {
				t.Fatalf("allowed = %v, want %v: %s", resp.Allowed, tt.wantAllowed, resp.Result.Message)
			}
			for _, s := range tt.wantMessage {
				if !strings.Contains(resp.Result.Message, s) {
					t.Errorf("message %q does not contain %q", resp.Result.Message, s)
				}
			}
			if lines := strings.Count(resp.Result.Message, "\n") + 1; !resp.Allowed && lines > 2 && !strings.Contains(resp.Result.Message, "break-glass") {
				t.Errorf("refusal is %d lines, want one or two: %q", lines, resp.Result.Message)
			}
			warnings := strings.Join(resp.Warnings, "\n")
			for _, s := range tt.wantWarnings {
				if !strings.Contains(warnings, s) {
					t.Errorf("warnings %q do not contain %q", resp.Warnings, s)
				}
			}
			if len(tt.wantWarnings) == 0 && len(resp.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", resp.Warnings)
			}
			if got := len(w.cluster.records); got != map[bool]int{true: 1}[tt.wantRecord] {
				t.Errorf("%d break-glass records, want record=%v", got, tt.wantRecord)
			}
			if tt.wantRecord {
				rec := w.cluster.records[0]
				if rec.User != "alice@example.com" || rec.Reason != glass[workload.DefaultBreakGlassAnnotation] || rec.Namespace != tt.ns || len(rec.Images) != 1 || !strings.HasPrefix(rec.Images[0], im.stagingOnly+"@sha256:") {
					t.Errorf("record %+v does not say who, what and why", rec)
				}
			}
			if tt.noRegistry && f.Requests.Load() != before {
				t.Errorf("asked the registry %d times for a review it should not check", f.Requests.Load()-before)
			}
		})
	}
}

func TestValidateEveryWorkloadKind(t *testing.T) {
	f := admittest.New(t)
	im := newImages(t, f)
	w := newWebhook(t, f, webhookConfig, newCluster())
	for _, tt := range []struct {
		image       string
		wantAllowed bool
	}{{im.blessed, true}, {im.stagingOnly, false}} {
		for _, obj := range workloads(podSpec(tt.image)) {
			kind := obj.GetObjectKind().GroupVersionKind().Kind
			t.Run(kind+map[bool]string{true: " blessed is allowed", false: " not blessed is refused"}[tt.wantAllowed], func(t *testing.T) {
				resp := w.review(t, admission.ValidatePath, request(t, admissionv1.Create, "shop", obj, nil))
				if resp.Allowed != tt.wantAllowed {
					t.Fatalf("allowed = %v: %s", resp.Allowed, resp.Result.Message)
				}
				if !tt.wantAllowed && !strings.Contains(resp.Result.Message, tt.image) {
					t.Errorf("message %q does not name %s", resp.Result.Message, tt.image)
				}
			})
		}
	}
}

func TestValidateRefusesWhenTheRegistryFails(t *testing.T) {
	tests := []struct {
		name     string
		breakReg func(*admittest.Fixture)
		config   string
		within   time.Duration
		want     string
	}{
		{"registry down", (*admittest.Fixture).Stop, webhookConfig, 3 * time.Second, "connection refused"},
		{"registry slower than the deadline", func(f *admittest.Fixture) { f.Slow(time.Minute) },
			webhookConfig, 3*time.Second + 500*time.Millisecond, "no answer from the registry before the deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := admittest.New(t)
			ref, _ := f.Image(t, "shop/web", "1.0")
			f.Bless(t, ref)
			w := newWebhook(t, f, tt.config, newCluster())
			tt.breakReg(f)
			start := time.Now()
			resp := w.review(t, admission.ValidatePath, request(t, admissionv1.Create, "shop", pod("web", podSpec(ref), nil), nil))
			took := time.Since(start)
			if resp.Allowed {
				t.Fatal("allowed although the registry failed")
			}
			if took > tt.within {
				t.Errorf("answered after %s, want within %s", took, tt.within)
			}
			for _, s := range []string{ref, "could not be pinned to a digest, so it is refused", tt.want, "give the image by digest"} {
				if !strings.Contains(resp.Result.Message, s) {
					t.Errorf("message %q does not contain %q", resp.Result.Message, s)
				}
			}
		})
	}
}

func TestBreakGlassIsRefusedWhenItCannotBeRecorded(t *testing.T) {
	f := admittest.New(t)
	im := newImages(t, f)
	c := newCluster()
	c.failEvent = errTest("events are forbidden")
	w := newWebhook(t, f, webhookConfig, c)
	resp := w.review(t, admission.ValidatePath, request(t, admissionv1.Create, "shop",
		pod("api", podSpec(im.stagingOnly), map[string]string{workload.DefaultBreakGlassAnnotation: "INC-1"}), nil))
	if resp.Allowed {
		t.Fatal("break-glass admitted without its audit record")
	}
	if !strings.Contains(resp.Result.Message, "events are forbidden") {
		t.Errorf("message %q does not say why", resp.Result.Message)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
