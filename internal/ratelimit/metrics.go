package ratelimit

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/botd/botd/internal/prom"

	"github.com/botd/botd/internal/flows"
)

type metrics struct {
	wait     *prometheus.HistogramVec
	deferred *prometheus.CounterVec
	pauses   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "botd_ratelimit_wait_seconds",
			Help: "Time a paced Open API call waited for its turn before it was made.",
			// Up to MaxWait (2 s by default); most calls should not wait at all.
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2, 5},
		}, []string{"api", "priority"}),
		deferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_ratelimit_deferred_total",
			Help: "Open API calls whose turn was beyond MaxWait, handed back to the job queue to run later.",
		}, []string{"api", "priority"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_ratelimit_pauses_total",
			Help: "Rate-limit errors from the platform despite pacing, each pausing the API for all replicas.",
		}, []string{"api"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.wait, err = prom.Register(reg, m.wait); err != nil {
		return nil, err
	}
	if m.deferred, err = prom.Register(reg, m.deferred); err != nil {
		return nil, err
	}
	if m.pauses, err = prom.Register(reg, m.pauses); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) waited(ctx context.Context, api API, d time.Duration) {
	m.wait.WithLabelValues(string(api), flows.PriorityFrom(ctx).String()).Observe(d.Seconds())
}

func (m *metrics) deferredCall(ctx context.Context, api API) {
	m.deferred.WithLabelValues(string(api), flows.PriorityFrom(ctx).String()).Inc()
}

func (m *metrics) paused(api API) {
	m.pauses.WithLabelValues(string(api)).Inc()
}
