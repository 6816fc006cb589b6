package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	admissionv1 "k8s.io/api/admission/v1"
)

const podReview = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",
"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE",
"userInfo":{"username":"alice"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"web","image":"reg.example/web:1"}]}}}}`

func endpoint(h admission.HandlerFunc, deadline time.Duration) *httptest.Server {
	srv := httptest.NewTLSServer(&admission.Endpoint{Handler: h, Deadline: deadline, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return srv
}

func TestEndpointRefusesMalformedRequests(t *testing.T) {
	var decided atomic.Int32
	allow := func(context.Context, *admissionv1.AdmissionRequest) admission.Response {
		decided.Add(1)
		return admission.Allowed("")
	}
	srv := endpoint(allow, time.Second)
	defer srv.Close()
	tests := []struct {
		name, method, contentType, body string
		want                            int
	}{
		{"GET is not a review", http.MethodGet, "application/json", "", http.StatusMethodNotAllowed},
		{"content type must be JSON", http.MethodPost, "text/plain", podReview, http.StatusUnsupportedMediaType},
		{"larger than MaxRequestBytes", http.MethodPost, "application/json", `{"x":"` + strings.Repeat("a", admission.MaxRequestBytes) + `"}`, http.StatusRequestEntityTooLarge},
		{"not JSON", http.MethodPost, "application/json", `{"request":`, http.StatusBadRequest},
		{"a review without a request", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, http.StatusBadRequest},
		{"a v1beta1 review", http.MethodPost, "application/json", strings.Replace(podReview, "admission.k8s.io/v1", "admission.k8s.io/v1beta1", 1), http.StatusBadRequest},
		{"a review without apiVersion and kind", http.MethodPost, "application/json", strings.Replace(podReview, `"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",`, "", 1), http.StatusBadRequest},
		{"another kind", http.MethodPost, "application/json", strings.Replace(podReview, `"kind":"AdmissionReview"`, `"kind":"TokenReview"`, 1), http.StatusBadRequest},
		{"an empty request", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`, http.StatusBadRequest},
		{"a request without a uid", http.MethodPost, "application/json", strings.Replace(podReview, `"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",`, "", 1), http.StatusBadRequest},
		{"a request without a kind", http.MethodPost, "application/json", strings.Replace(podReview, `"kind":{"group":"","version":"v1","kind":"Pod"},`, "", 1), http.StatusBadRequest},
		{"a request without an operation", http.MethodPost, "application/json", strings.Replace(podReview, `"operation":"CREATE",`, "", 1), http.StatusBadRequest},
		{"an unknown operation", http.MethodPost, "application/json", strings.Replace(podReview, `"operation":"CREATE"`, `"operation":"PATCH"`, 1), http.StatusBadRequest},
		{"a Pod without a namespace", http.MethodPost, "application/json", strings.Replace(podReview, `"namespace":"shop",`, "", 1), http.StatusBadRequest},
		{"a review that already has a response", http.MethodPost, "application/json", strings.Replace(podReview, `"request":`, `"response":{"uid":"x","allowed":true},"request":`, 1), http.StatusBadRequest},
		{"a cluster-scoped kind needs no namespace", http.MethodPost, "application/json", strings.NewReplacer(`"namespace":"shop",`, "", `"kind":"Pod"},"resource"`, `"kind":"Namespace"},"resource"`).Replace(podReview), http.StatusOK},
		{"a well-formed review", http.MethodPost, "application/json; charset=utf-8", podReview, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("HTTP %d, want %d: %s", resp.StatusCode, tt.want, msg)
			}
			if tt.want == http.StatusOK {
				return
			}
			if n := decided.Swap(0); n != 0 {
				t.Errorf("a malformed request reached the handler (%d times)", n)
			}
			if tt.want == http.StatusBadRequest && !strings.Contains(string(msg), "admission.k8s.io/v1 AdmissionReview") {
				t.Errorf("the refusal does not say what is wrong: %s", msg)
			}
		})
	}
}

// post sends podReview to srv and returns the response.
func post(t *testing.T, srv *httptest.Server, query string) *admissionv1.AdmissionResponse {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+query, "application/json", bytes.NewReader([]byte(podReview)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Response == nil {
		t.Fatalf("decoding the answer: %v", err)
	}
	if out.Response.UID != "705ab4f5-6393-11e8-b7cc-42010a800002" || out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
		t.Errorf("answer is not a v1 AdmissionReview for the request's UID: %+v", out)
	}
	return out.Response
}

func TestEndpointNeverAdmitsOnFailure(t *testing.T) {
	tests := []struct {
		name     string
		handler  admission.HandlerFunc
		deadline time.Duration
		query    string
		within   time.Duration
		want     string
	}{
		{"a panicking handler refuses", func(context.Context, *admissionv1.AdmissionRequest) admission.Response { panic("nil map") },
			time.Second, "", time.Second, "gate's webhook failed (nil map)"},
		{"the handler's context carries the deadline", func(ctx context.Context, _ *admissionv1.AdmissionRequest) admission.Response {
			<-ctx.Done()
			return admission.Denied("deadline reached")
		}, 300 * time.Millisecond, "", time.Second, "deadline reached"},
		{"the API server's shorter timeout shortens the deadline", func(ctx context.Context, _ *admissionv1.AdmissionRequest) admission.Response {
			<-ctx.Done()
			return admission.Denied("deadline reached")
		}, 8 * time.Second, "?timeout=3s", 1500 * time.Millisecond, "deadline reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := endpoint(tt.handler, tt.deadline)
			defer srv.Close()
			start := time.Now()
			resp := post(t, srv, tt.query)
			if took := time.Since(start); took > tt.within {
				t.Errorf("answered after %s, want within %s", took, tt.within)
			}
			if resp.Allowed {
				t.Fatal("allowed")
			}
			if !strings.Contains(resp.Result.Message, tt.want) {
				t.Errorf("message %q does not contain %q", resp.Result.Message, tt.want)
			}
		})
	}
}

func TestResponseConstructors(t *testing.T) {
	tests := []struct {
		name        string
		resp        admission.Response
		wantAllowed bool
		wantCode    int32
	}{
		{"Allowed admits", admission.Allowed("ok"), true, http.StatusOK},
		{"Denied refuses as forbidden", admission.Denied("no"), false, http.StatusForbidden},
		{"Errored refuses", admission.Errored(http.StatusInternalServerError, errTest("broken")), false, http.StatusInternalServerError},
		{"Patched admits", admission.Patched("pinned", admission.PatchOperation{Op: "replace", Path: "/spec", Value: "x"}), true, http.StatusOK},
		{"WithWarnings keeps the verdict", admission.Denied("no").WithWarnings("w"), false, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resp.Allowed != tt.wantAllowed || tt.resp.Result.Code != tt.wantCode {
				t.Errorf("allowed=%v code=%d, want %v %d", tt.resp.Allowed, tt.resp.Result.Code, tt.wantAllowed, tt.wantCode)
			}
		})
	}
}
