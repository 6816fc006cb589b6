package chatops

import (
	"sync"
	"time"
)

// replays remembers the signed requests seen within the timestamp window,
// so that a captured request cannot be sent again: Slack's verifier checks
// the signature and the window, not whether a request is new.
type replays struct {
	mu     sync.Mutex
	seen   map[string]time.Time // by timestamp and signature, when first seen
	order  []string             // keys by arrival, to forget the old ones
	window time.Duration
	max    int
}

func newReplays(window time.Duration, max int) *replays {
	return &replays{seen: map[string]time.Time{}, window: window, max: max}
}

// first records key at now and says whether it is new. When the memory is
// full of requests still inside the window it refuses (false): a request
// that might be a replay is never answered.
func (r *replays) first(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A request signed at t is accepted until t+window, and its timestamp may
	// be up to window ahead of now: keep each key twice the window.
	for len(r.order) > 0 && now.Sub(r.seen[r.order[0]]) > 2*r.window {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
	if _, ok := r.seen[key]; ok || len(r.order) >= r.max {
		return false
	}
	r.seen[key] = now
	r.order = append(r.order, key)
	return true
}
