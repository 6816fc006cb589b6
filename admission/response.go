package admission

import (
	"context"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Handler decides one admission request. It must answer before ctx is done; the edge refuses
// on its behalf if it does not.
type Handler interface {
	Handle(ctx context.Context, req *admissionv1.AdmissionRequest) Response
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(ctx context.Context, req *admissionv1.AdmissionRequest) Response

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, req *admissionv1.AdmissionRequest) Response {
	return f(ctx, req)
}

// Response is an admission response and the patch to send with it.
type Response struct {
	admissionv1.AdmissionResponse
	Patches []PatchOperation
}

// PatchOperation is one RFC 6902 JSON Patch operation.
type PatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Allowed admits, saying why.
func Allowed(message string) Response {
	return Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: true, Result: status(http.StatusOK, message)}}
}

// Denied refuses; message is what kubectl shows after the API server's own prefix.
func Denied(message string) Response {
	r := Response{AdmissionResponse: admissionv1.AdmissionResponse{Result: status(http.StatusForbidden, message)}}
	r.Result.Reason = metav1.StatusReasonForbidden
	return r
}

// Errored refuses because the webhook could not decide: an error is never an admit.
func Errored(code int32, err error) Response {
	return Response{AdmissionResponse: admissionv1.AdmissionResponse{Result: status(code, err.Error())}}
}

// Patched admits with patches.
func Patched(message string, ops ...PatchOperation) Response {
	r := Allowed(message)
	r.Patches = ops
	return r
}

// WithWarnings adds warnings, which kubectl prints as "Warning: …".
func (r Response) WithWarnings(warnings ...string) Response {
	r.Warnings = append(r.Warnings, warnings...)
	return r
}

func status(code int32, message string) *metav1.Status {
	return &metav1.Status{Code: code, Message: message}
}
