package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/botd/botd/internal/prom"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_webhook_requests_total",
			Help: "Webhook requests by route and outcome (ok, duplicate, ignored, challenge, callback_error, bad_request, unauthorized, too_large, method_not_allowed, unavailable).",
		}, []string{"route", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "botd_webhook_request_duration_seconds",
			Help: "Time to answer a webhook request; the platform gives up after 3 s.",
			// Dense below 3 s, where the platform's deadline sits.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}, []string{"route"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = prom.Register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.latency, err = prom.Register(reg, m.latency); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) observe(rt route, outcome string, d time.Duration) {
	m.requests.WithLabelValues(string(rt), outcome).Inc()
	m.latency.WithLabelValues(string(rt)).Observe(d.Seconds())
}
