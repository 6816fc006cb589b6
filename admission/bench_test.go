package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkValidate answers a Pod review in process, without TLS: the edge alone (floor),
// and the edge with a warm decision (warm). Their difference is what gate adds per review.
func BenchmarkValidate(b *testing.B) {
	f := admittest.New(b)
	_, d := f.Image(b, "shop/web", "1.0")
	f.Bless(b, d.String())
	w := newWebhook(b, f, webhookConfig, newCluster())
	req := request(b, admissionv1.Create, "shop", pod("web", podSpec(d.String()), nil), nil)
	body, _ := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req})
	floor := &admission.Endpoint{Deadline: 8e9, Log: discard(),
		Handler: admission.HandlerFunc(func(context.Context, *admissionv1.AdmissionRequest) admission.Response { return admission.Allowed("") })}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"floor", floor}, {"warm", w.mux}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, admission.ValidatePath, bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				bc.h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
