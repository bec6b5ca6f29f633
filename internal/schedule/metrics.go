package schedule

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the scheduler's and the reminders' Prometheus metrics. A nil
// *Metrics records nothing.
type Metrics struct {
	lateness *prometheus.HistogramVec // kind
	queued   prometheus.Histogram
}

// NewMetrics registers the metrics with reg (none when reg is nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "botd_reminder_lateness_seconds",
			Help: "How late a scheduled post went out: the time it was posted minus the time it was due, by kind (reminder, todo_due).",
			// 0.1 s .. ~27 h: on time is well under a second; an outage
			// shows up in the top buckets.
			Buckets: prometheus.ExponentialBuckets(0.1, 3, 13),
		}, []string{"kind"}),
		queued: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "botd_schedule_enqueue_delay_seconds",
			Help:    "Due time to the moment the scheduler enqueued the occurrence's job.",
			Buckets: prometheus.ExponentialBuckets(0.05, 3, 12),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.lateness, m.queued)
	}
	return m
}

// ObserveLateness records how late a post of kind went out; wire it as
// flows.Deps.ObserveLateness.
func (m *Metrics) ObserveLateness(kind string, late time.Duration) {
	if m == nil {
		return
	}
	m.lateness.WithLabelValues(kind).Observe(max(0, late.Seconds()))
}

func (m *Metrics) enqueued(due, now time.Time) {
	if m == nil || due.IsZero() {
		return
	}
	m.queued.Observe(max(0, now.Sub(due).Seconds()))
}

// dueTime reads the due time of a member, whose last field is its Unix ms
// (an "s" in front marks a snooze); zero when it has none.
func dueTime(member string) time.Time {
	i := strings.LastIndexByte(member, ':')
	ms, err := strconv.ParseInt(strings.TrimPrefix(member[i+1:], "s"), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
