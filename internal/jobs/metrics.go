package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts job runs by outcome, so an operator sees retries, pacing
// and give-ups, not just successes.
type metrics struct {
	runs     *prometheus.CounterVec   // job, outcome
	duration *prometheus.HistogramVec // job
}

// Outcomes of one run of a job.
const (
	outcomeOK       = "ok"       // done
	outcomeRetry    = "retry"    // failed; will run again
	outcomeDeferred = "deferred" // the rate limiter gave it a later turn
	outcomeDropped  = "dropped"  // its interaction is gone
	outcomeGiveUp   = "give_up"  // failed permanently
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_jobs_total",
			Help: "Job runs by job kind and outcome (ok, retry, deferred, dropped, give_up).",
		}, []string{"job", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "botd_job_duration_seconds",
			Help:    "How long one run of a job took, Open API calls and pacing included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12), // 5 ms .. ~10 s
		}, []string{"job"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.duration)
	}
	return m
}

func (m *metrics) observe(job, outcome string, took time.Duration) {
	m.runs.WithLabelValues(job, outcome).Inc()
	m.duration.WithLabelValues(job).Observe(took.Seconds())
}
