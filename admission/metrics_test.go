package admission_test

import (
	"testing"

	"github.com/gatehq/gate/admission"
	"github.com/gatehq/gate/pkg/admit/admittest"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
)

func TestMetricsCountVerdictsAndCacheOutcomes(t *testing.T) {
	f := admittest.New(t)
	im := newImages(t, f)
	m := admission.NewMetrics(nil)
	w := newWebhook(t, f, webhookConfig, newCluster(), admission.WithMetrics(m))
	for _, img := range []string{im.blessed, im.blessed, im.stagingOnly} {
		w.review(t, admission.ValidatePath, request(t, admissionv1.Create, "shop", pod("p", podSpec(img), nil), nil))
	}
	w.review(t, admission.ValidatePath, request(t, admissionv1.Create, "other", pod("p", podSpec(im.bare), nil), nil))
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, fam := range families {
		for _, metric := range fam.GetMetric() {
			counts[fam.GetName()+labels(metric)] += metric.GetCounter().GetValue() + float64(metric.GetHistogram().GetSampleCount())
		}
	}
	tests := []struct {
		series string
		want   float64
	}{
		{"gate_admission_reviews_total{verdict=allowed,webhook=validate}", 2},
		{"gate_admission_reviews_total{verdict=denied,webhook=validate}", 1},
		{"gate_admission_reviews_total{verdict=skipped,webhook=validate}", 1},
		{"gate_image_checks_total{cache=computed,result=blessed}", 1},
		{"gate_image_checks_total{cache=hit,result=blessed}", 1},
		{"gate_image_checks_total{cache=computed,result=not_blessed}", 1},
		{"gate_admission_review_duration_seconds{webhook=validate}", 4},
	}
	for _, tt := range tests {
		t.Run(tt.series, func(t *testing.T) {
			if got := counts[tt.series]; got != tt.want {
				t.Errorf("%s = %v, want %v (have %v)", tt.series, got, tt.want, counts)
			}
		})
	}
}

func labels(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	s := "{"
	for i, l := range m.GetLabel() {
		if i > 0 {
			s += ","
		}
		s += l.GetName() + "=" + l.GetValue()
	}
	return s + "}"
}
