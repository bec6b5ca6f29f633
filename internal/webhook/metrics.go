package webhook

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.latency, err = register(reg, m.latency); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// the same name so that a second Handler on one registry shares the series.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("registering metrics: %w", err)
}

func (m *metrics) observe(rt route, outcome string, d time.Duration) {
	m.requests.WithLabelValues(string(rt), outcome).Inc()
	m.latency.WithLabelValues(string(rt)).Observe(d.Seconds())
}
