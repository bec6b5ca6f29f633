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
	// orphans counts jobs the orphan scan put back in their queue, and
	// orphanAge how long after their worker's last heartbeat.
	orphans   *prometheus.CounterVec // job
	orphanAge prometheus.Histogram
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
		orphans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_orphans_resumed_total",
			Help: "Jobs whose worker died (no heartbeat for OrphanAfter) put back in their queue by the orphan scan, by job kind.",
		}, []string{"job"}),
		orphanAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "botd_orphan_age_seconds",
			Help:    "How long after its worker's last heartbeat an orphaned job was put back in its queue.",
			Buckets: []float64{5, 8, 10, 12, 15, 20, 30, 45, 60, 120, 300},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.duration, m.orphans, m.orphanAge)
	}
	return m
}

func (m *metrics) observe(job, outcome string, took time.Duration) {
	m.runs.WithLabelValues(job, outcome).Inc()
	m.duration.WithLabelValues(job).Observe(took.Seconds())
}

func (m *metrics) orphan(job string, age time.Duration) {
	m.orphans.WithLabelValues(job).Inc()
	m.orphanAge.Observe(age.Seconds())
}
