package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxRequestBytes bounds an AdmissionReview. The API server refuses objects over 3 MiB (its
// default --max-request-bytes), and a review of an update carries the object and the old
// object: twice 3 MiB, plus the review's own fields, stays under 7 MiB.
const MaxRequestBytes = 7 << 20

// answerMargin is kept between the API server's timeout and our deadline, for the answer to
// travel back: the API server names its timeout in the request's "timeout" query parameter.
const answerMargin = 2 * time.Second

// Endpoint serves one webhook path: it checks the request, decodes the AdmissionReview, asks
// its Handler under a deadline, and writes the AdmissionReview answer. A panic is answered
// with a refusal, never with an admit. The handler runs on the request's goroutine (another
// goroutine per review would cost a fifth of a cached review in stack growth alone); should
// it miss its deadline, the API server's own timeout refuses (failurePolicy: Fail).
type Endpoint struct {
	Handler  Handler
	Deadline time.Duration
	Log      *slog.Logger
	// Observe, when set, is told each answer and how long it took.
	Observe func(resp *Response, took time.Duration)
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		http.Error(w, "admission reviews are POSTed", http.StatusMethodNotAllowed)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		http.Error(w, fmt.Sprintf("content type %q: want application/json", ct), http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		code := http.StatusBadRequest
		switch {
		case errors.As(err, new(*http.MaxBytesError)):
			code = http.StatusRequestEntityTooLarge
		case errors.Is(err, errBusy):
			w.Header().Set("Retry-After", "1")
			http.Error(w, errBusy.Error(), http.StatusTooManyRequests)
			return
		}
		http.Error(w, "reading admission review: "+err.Error(), code)
		return
	}
	review, err := decodeReview(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp := e.decide(r, review.Request)
	if e.Observe != nil {
		e.Observe(&resp, time.Since(start))
	}
	e.write(w, review, resp)
}

// readBody reads a review of at most MaxRequestBytes. Its buffer grows as bytes arrive, to
// at most the length the request states (the API server's do): a request that states 7 MiB
// and sends nothing holds nothing.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	// A body of unstated length may be read one byte past the limit, for the reader to say
	// that it is too large.
	limit := int64(MaxRequestBytes) + 1
	if n := r.ContentLength; n >= 0 {
		limit = n
	}
	buf := make([]byte, 0, min(limit, firstRead))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) == limit {
				return buf, nil // all that was stated has arrived
			}
			buf = slices.Grow(buf, int(min(int64(cap(buf)), limit-int64(len(buf)))))
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if r.ContentLength >= 0 && int64(len(buf)) != r.ContentLength {
				return nil, io.ErrUnexpectedEOF // fewer bytes than stated
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// firstRead is the buffer a review is first read into: an ordinary Pod's review fits.
const firstRead = 64 << 10

// decide runs the handler under the deadline, turning a panic into a refusal.
func (e *Endpoint) decide(r *http.Request, req *admissionv1.AdmissionRequest) (resp Response) {
	ctx, cancel := context.WithTimeout(r.Context(), e.deadline(r))
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			e.Log.Error("admission handler panicked", "uid", req.UID, "panic", p, "stack", string(debug.Stack()))
			resp = Errored(http.StatusInternalServerError, fmt.Errorf("gate's webhook failed (%v), so it refuses", p))
		}
	}()
	return e.Handler.Handle(ctx, req)
}

// deadline is the configured one, shortened to leave answerMargin before the API server's own
// timeout when the request names it.
func (e *Endpoint) deadline(r *http.Request) time.Duration {
	d := e.Deadline
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t-answerMargin > 0 && t-answerMargin < d {
		d = t - answerMargin
	}
	return d
}

func (e *Endpoint) write(w http.ResponseWriter, review *admissionv1.AdmissionReview, resp Response) {
	resp.UID = review.Request.UID
	if len(resp.Patches) > 0 {
		patch, err := json.Marshal(resp.Patches)
		if err != nil {
			resp = Errored(http.StatusInternalServerError, fmt.Errorf("encoding patch: %w", err))
			resp.UID = review.Request.UID
		} else {
			pt := admissionv1.PatchTypeJSONPatch
			resp.Patch, resp.PatchType = patch, &pt
		}
	}
	out := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: reviewAPIVersion, Kind: reviewKind}, Response: &resp.AdmissionResponse}
	body, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "encoding admission review: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if _, err := w.Write(body); err != nil {
		e.Log.Debug("writing admission review", "uid", review.Request.UID, "err", err)
	}
}
