package admission

import (
	"github.com/gatehq/gate/pkg/admit"
	"github.com/prometheus/client_golang/prometheus"
)

// watchPolicies exports w's counts: a failed poll keeps the policy in use, so
// only this counter (and the log) says a pushed policy is not being applied.
func (m *Metrics) watchPolicies(w *admit.PolicyWatch) {
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gate_policy_swaps_total", Help: "Policy bundles swapped in after their followed tag moved.",
		}, func() float64 { return float64(w.Swaps()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gate_policy_poll_failures_total", Help: "Polls of a followed policy tag that kept the policy in use: the new bundle could not be read, verified or compiled (see the log).",
		}, func() float64 { return float64(w.Failures()) }),
	)
}
