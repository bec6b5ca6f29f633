package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/botd/botd/internal/prom"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	secrets  *prometheus.CounterVec
	// secretUsed are secrets' series, by secretKind and secret-1: made
	// once, so that counting costs no label lookup, and exported from the
	// start, so that "previous" reads 0 rather than nothing.
	secretUsed [2][2]prometheus.Counter
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
		secrets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_webhook_secret_used_total",
			Help: "Accepted webhook requests by the secret they used (secret: current or previous; kind: encrypt_key or verification_token). Remove a previous secret once its count stops growing.",
		}, []string{"secret", "kind"}),
	}
	if reg != nil {
		var err error
		if m.requests, err = prom.Register(reg, m.requests); err != nil {
			return nil, err
		}
		if m.latency, err = prom.Register(reg, m.latency); err != nil {
			return nil, err
		}
		if m.secrets, err = prom.Register(reg, m.secrets); err != nil {
			return nil, err
		}
	}
	m.secretSeries()
	return m, nil
}

// secretSeries makes the series of every secret and kind, on the vector
// actually registered.
func (m *metrics) secretSeries() {
	for k, kind := range secretKindLabels {
		for s, label := range secretLabels {
			m.secretUsed[k][s] = m.secrets.WithLabelValues(label, kind)
		}
	}
}

func (m *metrics) observe(rt route, outcome string, d time.Duration) {
	m.requests.WithLabelValues(string(rt), outcome).Inc()
	m.latency.WithLabelValues(string(rt)).Observe(d.Seconds())
}
