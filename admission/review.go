package admission

import (
	"errors"
	"fmt"

	"github.com/gatehq/gate/admission/workload"
	"github.com/go-json-experiment/json"
	admissionv1 "k8s.io/api/admission/v1"
)

// The only AdmissionReview the webhook reads: the API server sends this version when the
// webhook configuration lists it in admissionReviewVersions, as the chart's do.
const (
	reviewAPIVersion = "admission.k8s.io/v1"
	reviewKind       = "AdmissionReview"
)

// ErrMalformedReview is what decodeReview's errors wrap: the body is not an AdmissionReview
// the API server would send, and is refused without being decided.
var ErrMalformedReview = errors.New("not a well-formed admission.k8s.io/v1 AdmissionReview (is this webhook's configuration listing admissionReviewVersions: [v1]?)")

// operations are the operations an AdmissionRequest can carry.
var operations = map[admissionv1.Operation]bool{
	admissionv1.Create: true, admissionv1.Update: true, admissionv1.Delete: true, admissionv1.Connect: true,
}

// decodeReview reads body as an admission.k8s.io/v1 AdmissionReview and checks that its request
// is whole: a uid to answer with, a kind, an operation, and a namespace for every kind the
// webhook checks (each of them namespaced). Anything else is refused, never decided: a review
// missing its namespace would otherwise look like one from a namespace that is not guarded.
// It is decoded as workloads are (admission/workload), in one pass, matching names exactly as
// the API server writes them; duplicate names and invalid UTF-8 are refused.
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, fmt.Errorf("decoding admission review: %w: %w", ErrMalformedReview, err)
	}
	bad := func(format string, args ...any) (*admissionv1.AdmissionReview, error) {
		return nil, fmt.Errorf("%w: %s", ErrMalformedReview, fmt.Sprintf(format, args...))
	}
	if review.APIVersion != reviewAPIVersion || review.Kind != reviewKind {
		return bad("apiVersion %q and kind %q, want %q and %q", review.APIVersion, review.Kind, reviewAPIVersion, reviewKind)
	}
	req := review.Request
	switch {
	case req == nil:
		return bad("no request")
	case review.Response != nil:
		return bad("a review that already carries a response")
	case req.UID == "":
		return bad("request without a uid")
	case req.Kind.Kind == "" || req.Kind.Version == "":
		return bad("request without a kind (group, version and kind)")
	case !operations[req.Operation]:
		return bad("request operation %q, want CREATE, UPDATE, DELETE or CONNECT", req.Operation)
	}
	if workload.Checked(workload.Kind{Group: req.Kind.Group, Kind: req.Kind.Kind}) && req.Namespace == "" {
		return bad("a %s request without a namespace", req.Kind.Kind)
	}
	return &review, nil
}
