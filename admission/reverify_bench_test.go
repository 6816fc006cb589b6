package admission_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/admission/workload"
	"github.com/gatehq/gate/pkg/admit/admittest"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// BenchmarkReverifyPass is one pass over 1,000 Pods in 20 guarded namespaces running 50
// distinct blessed images (client-go's fake clientset stands for the API server: a pass reads
// the informer's cache, not the API). cold: nothing decided yet, each image verified once
// against the in-process registry, what each pass at the default 5 min interval costs; warm:
// the decisions shared from a pass less than 15 s before, what a Trigger soon after a pass costs.
func BenchmarkReverifyPass(b *testing.B) {
	f := admittest.New(b)
	images := f.BlessMany(b, "shop/web", 50)
	guarded := map[string]map[string]string{}
	var objs []runtime.Object
	for i := range 1000 {
		ns := fmt.Sprintf("team-%d", i%20)
		guarded[ns] = map[string]string{workload.DefaultNamespaceLabel: "true"}
		objs = append(objs, runningPod(ns, fmt.Sprintf("web-%d", i), images[i%len(images)]))
	}
	client := fake.NewClientset(objs...)
	cfg, err := workload.LoadConfig("")
	if err != nil {
		b.Fatal(err)
	}
	m := admission.NewMetrics(nil)
	g := admission.NewGuard(cfg, nil, &cluster{labels: guarded}, admission.WithLogger(discard()), admission.WithMetrics(m))
	watching := func(b *testing.B) (*admission.Reverifier, context.Context) {
		r, err := admission.NewReverifier(g, f.Config, client, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		if !r.WatchPods(ctx) {
			b.Fatal("the Pod cache did not sync")
		}
		return r, ctx
	}
	b.Run("warm", func(b *testing.B) {
		r, ctx := watching(b)
		r.Pass(ctx)
		b.ReportAllocs()
		for b.Loop() {
			r.Pass(ctx)
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		var verifications int64
		for range b.N {
			b.StopTimer()
			r, ctx := watching(b) // a new Reverifier: nothing decided yet
			b.StartTimer()
			r.Pass(ctx)
			verifications += r.Verifications()
		}
		b.ReportMetric(float64(verifications)/float64(b.N), "verifications/op")
	})
	if v, ok := gaugeOf(b, m, "team-0", images[0]); !ok || v != 1 {
		b.Fatalf("team-0 %s reads %v (exported: %v), want 1", images[0], v, ok)
	}
}
