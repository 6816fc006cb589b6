package admission

import (
	"net/http"

	"golang.org/x/sync/semaphore"
)

// MaxBytesInFlight bounds the bytes of the reviews the webhook holds at once, so that whoever
// can reach it cannot push it past its memory limit (an OOM-kill would refuse every Pod, with
// failurePolicy: Fail). The chart limits the webhook to 512 MiB; idle it holds about 120 MiB
// (compiled policies, the namespace informer, a full decision cache). A review of n bytes
// costs about 3n while it is decided (the body, the objects copied out of it, their decoding),
// and Go lets the heap grow to twice what is live before it collects (GOGC=100), so
//
//	2 × (120 MiB + 3 × B) ≤ 512 MiB  ⇒  B ≤ 45 MiB.
//
// 40 MiB is five reviews of the largest size at once, or some four thousand ordinary ones
// (a Pod's review is about 10 KiB).
const MaxBytesInFlight = 40 << 20

// limitInFlight answers 429 at once to a request whose bytes would take the webhook past max
// bytes in flight. A request that does not say its length counts as MaxRequestBytes; one
// that says more is refused before a byte of it is read. The API server takes the 429 as the
// webhook failing, which failurePolicy: Fail refuses: overload never admits.
func limitInFlight(max int64, next http.Handler) http.Handler {
	sem := semaphore.NewWeighted(max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := r.ContentLength
		if n > MaxRequestBytes {
			http.Error(w, "admission review larger than gate's limit of 7 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		if n < 0 {
			n = MaxRequestBytes
		}
		if !sem.TryAcquire(n) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "gate's webhook holds as many reviews as its memory allows; retry in a moment", http.StatusTooManyRequests)
			return
		}
		defer sem.Release(n)
		next.ServeHTTP(w, r)
	})
}
