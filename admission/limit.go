package admission

import (
	"errors"
	"io"
	"net/http"

	"golang.org/x/sync/semaphore"
)

// MaxBytesInFlight bounds the bytes of the reviews the webhook holds at once, so that whoever
// can reach it cannot push it past its memory limit (an OOM-kill would refuse every Pod, with
// failurePolicy: Fail). The chart limits the webhook to 512 MiB; idle it holds about 120 MiB
// (compiled policies, the namespace informer, a full decision cache). A review of n bytes
// costs about 3n while it is decided (the body, the objects copied out of it, their decoding;
// while the body is read, its buffer and the one it grows from). Without a known container
// limit, Go lets the heap grow to twice what is live before it collects (GOGC=100), so
//
//	2 × (120 MiB + 3 × B) ≤ 512 MiB  ⇒  B ≤ 45 MiB.
//
// With the limit the chart gives it (SetCollector), the runtime holds the heap under 85% of
// it however high GOGC is: 120 MiB + 3 × 40 MiB = 240 MiB live stays under 435 MiB.
// 40 MiB is five reviews of the largest size at once, or some four thousand ordinary ones
// (a Pod's review is about 10 KiB).
const MaxBytesInFlight = 40 << 20

// errBusy is a body read refused because the webhook already holds MaxBytesInFlight.
var errBusy = errors.New("gate's webhook holds as many reviews as its memory allows; retry in a moment")

// limitInFlight charges each request the bytes of its body as they arrive, against max bytes
// held at once, and gives them back when the request is answered. A body that would take the
// webhook past max fails to read (errBusy, which the endpoint answers 429); one that says it
// is larger than MaxRequestBytes is refused before a byte of it is read. Bytes are charged as
// they arrive, not as declared: a client that sends the headers of a large review and then
// nothing holds nothing, so stalled connections cannot fill the budget and turn every review
// away (they are closed by the server's read timeout). The API server takes a 429 as the
// webhook failing, which failurePolicy: Fail refuses: overload never admits.
func limitInFlight(max int64, next http.Handler) http.Handler {
	sem := semaphore.NewWeighted(max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxRequestBytes {
			http.Error(w, "admission review larger than gate's limit of 7 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		body := &chargedBody{ReadCloser: r.Body, sem: sem}
		defer body.release()
		r.Body = body
		next.ServeHTTP(w, r)
	})
}

// chargedBody acquires from sem each byte it reads, and holds them until release.
type chargedBody struct {
	io.ReadCloser
	sem     *semaphore.Weighted
	charged int64
}

func (b *chargedBody) Read(p []byte) (int, error) {
	// Charge what arrived, not what was asked for: a read into 32 KiB that gets 10 bytes
	// costs 10.
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if !b.sem.TryAcquire(int64(n)) {
			return 0, errBusy
		}
		b.charged += int64(n)
	}
	return n, err
}

func (b *chargedBody) release() {
	if b.charged > 0 {
		b.sem.Release(b.charged)
		b.charged = 0
	}
}
