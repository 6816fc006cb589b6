package chart_test

import (
	"context"
	"testing"

	"github.com/gatehq/gate/pkg/chart"
	"github.com/gatehq/gate/pkg/chart/charttest"
)

// BenchmarkRenderAndWalk is what --images adds to a verify before any
// image is decided: load the archive, render it, find its images.
func BenchmarkRenderAndWalk(b *testing.B) {
	charttest.NeedHelm(b)
	archive := charttest.Archive(b, shop("0.1.0"))
	v := chart.Values{Set: []string{"image=reg.example/team/app:1.0", "migrate=reg.example/team/migrate:1.0"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := chart.Render(ctx, archive, v)
		if err != nil {
			b.Fatal(err)
		}
		if uses, err := chart.Images(r); err != nil || len(uses) != 2 {
			b.Fatalf("%v %v", uses, err)
		}
	}
}
