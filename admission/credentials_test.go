package admission_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPullSecretsReachAPrivateRegistry(t *testing.T) {
	f := admittest.New(t)
	ref, _ := f.Image(t, "shop/web", "1.0")
	f.Bless(t, ref)
	f.RequireBasicAuth("puller", "s3cret")
	dockerConfig := `{"auths":{"` + f.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("puller:s3cret")) + `"}}}`
	secret := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred", Namespace: "shop"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(dockerConfig)}}

	tests := []struct {
		name        string
		pullSecrets []string
		wantAllowed bool
		wantMessage string
	}{
		{"the pod's imagePullSecrets are used", []string{"regcred"}, true, ""},
		{"without them the registry's refusal is the reason", nil, false, "registry authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster()
			c.secrets = map[string]corev1.Secret{"shop/regcred": secret}
			w := newWebhook(t, f, webhookConfig, c)
			spec := podSpec(ref)
			spec.ServiceAccountName = "web"
			for _, s := range tt.pullSecrets {
				spec.ImagePullSecrets = append(spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
			}
			resp := w.review(t, admission.ValidatePath, request(t, admissionv1.Create, "shop", pod("web", spec, nil), nil))
			if resp.Allowed != tt.wantAllowed {
				t.Fatalf("allowed = %v: %s", resp.Allowed, resp.Result.Message)
			}
			if !strings.Contains(resp.Result.Message, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", resp.Result.Message, tt.wantMessage)
			}
			if len(c.keychains) == 0 || c.keychains[0] != "shop/web" {
				t.Errorf("keychains asked for %v, want the pod's namespace and service account shop/web", c.keychains)
			}
		})
	}
}
