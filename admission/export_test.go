package admission

import (
	"context"

	kcache "k8s.io/client-go/tools/cache"
)

// WatchPods starts r's Pod informer and waits for its cache, so that a benchmark can call Pass
// without the loop of Run.
func (r *Reverifier) WatchPods(ctx context.Context) bool {
	go r.informer.Run(ctx.Done())
	return kcache.WaitForCacheSync(ctx.Done(), r.informer.HasSynced)
}

// Verifications returns how many verifications r's checker has started.
func (r *Reverifier) Verifications() int64 { return r.checker.Verifications() }
