package admission

import (
	"time"

	"github.com/gatehq/gate/pkg/admit"
	"github.com/gatehq/gate/pkg/cache"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Verdicts, as the gate_admission_reviews_total metric labels them.
const (
	verdictAllowed    = "allowed"
	verdictDenied     = "denied"
	verdictWarned     = "warned"
	verdictBreakGlass = "break_glass"
	verdictSkipped    = "skipped" // not a workload, or not in a guarded namespace
	verdictError      = "error"
)

// Metrics are the webhook's Prometheus metrics.
type Metrics struct {
	Registry *prometheus.Registry
	reviews  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	images   *prometheus.CounterVec
	running  *prometheus.GaugeVec // re-verification, reverify.go
	lastPass prometheus.Gauge
	// The label values are few and known, so each series is looked up once, here: a lookup by
	// label values hashes them under a lock on every review.
	reviewSeries map[[2]string]prometheus.Counter
	imageSeries  map[[2]string]prometheus.Counter
}

// NewMetrics registers the webhook's metrics, and Go's and the process's, in a new registry.
// cached, when set, reports how many decisions are kept.
func NewMetrics(cached func() int) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gate_admission_reviews_total", Help: "Admission reviews answered, by webhook and verdict.",
		}, []string{"webhook", "verdict"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gate_admission_review_duration_seconds", Help: "Time to answer an admission review, by webhook.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"webhook"}),
		images: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gate_image_checks_total", Help: "Images checked, by how the decision was found (hit, shared, computed) and what it was (blessed, not_blessed, error).",
		}, []string{"cache", "result"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gate_running_image_blessed",
			Help: "Whether an image that running Pods of a guarded namespace use is blessed, as last re-verified: 1 blessed, 0 not blessed, -1 could not decide. Alert on < 1.",
		}, []string{"namespace", "image"}),
		lastPass: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gate_reverify_last_pass_timestamp_seconds", Help: "When the images of running Pods were last re-verified (Unix time); 0 before the first pass.",
		}),
	}
	m.reviewSeries, m.imageSeries = map[[2]string]prometheus.Counter{}, map[[2]string]prometheus.Counter{}
	for _, w := range []string{"validate", "mutate"} {
		for _, v := range []string{verdictAllowed, verdictDenied, verdictWarned, verdictBreakGlass, verdictSkipped, verdictError} {
			m.reviewSeries[[2]string{w, v}] = m.reviews.WithLabelValues(w, v)
		}
	}
	for _, o := range []cache.Outcome{cache.Computed, cache.Hit, cache.Shared} {
		for _, r := range []string{"blessed", "not_blessed", "error"} {
			m.imageSeries[[2]string{o.String(), r}] = m.images.WithLabelValues(o.String(), r)
		}
	}
	m.Registry.MustRegister(m.reviews, m.latency, m.images, m.running, m.lastPass, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cached != nil {
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gate_decision_cache_entries", Help: "Decisions kept in the cache.",
		}, func() float64 { return float64(cached()) }))
	}
	return m
}

func (m *Metrics) verdict(webhook, verdict string, resp *Response) {
	if !resp.Allowed && verdict == verdictSkipped {
		verdict = verdictError
	}
	m.reviewSeries[[2]string{webhook, verdict}].Inc()
}

func (m *Metrics) image(r admit.Result) {
	result := "error"
	switch {
	case r.Allowed():
		result = "blessed"
	case r.Err == nil:
		result = "not_blessed"
	}
	m.imageSeries[[2]string{r.Outcome.String(), result}].Inc()
}

// observe returns the Endpoint.Observe that times the reviews of webhook.
func (m *Metrics) observe(webhook string) func(*Response, time.Duration) {
	h := m.latency.WithLabelValues(webhook)
	return func(_ *Response, took time.Duration) { h.Observe(took.Seconds()) }
}

func (m *Metrics) setRunning(namespace, image string, v float64) {
	m.running.WithLabelValues(namespace, image).Set(v)
}

func (m *Metrics) forgetRunning(namespace, image string) {
	m.running.DeleteLabelValues(namespace, image)
}

func (m *Metrics) reverified(at time.Time) { m.lastPass.Set(float64(at.Unix())) }
