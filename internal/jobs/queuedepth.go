package jobs

import (
	"slices"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// queueCollector reports the size of botd's queues when Prometheus
// scrapes, read with asynq's Inspector: how much work waits (pending,
// scheduled, retry), runs (active) and was given up (archived), and how
// long the oldest pending job has waited. The queues are shared by every
// replica, so each replica reports the same figures: aggregate with max(),
// not sum(). A scrape costs one read per queue on the queue's Redis slot.
type queueCollector struct {
	insp   *asynq.Inspector
	queues map[string]string // asynq queue name -> its label (interactive, bulk)
	log    *zap.Logger

	// Gauges set from the Inspector at each scrape (Collect), under a
	// lock: two scrapes at once must not interleave their values.
	mu      sync.Mutex
	tasks   *prometheus.GaugeVec // queue, state
	latency *prometheus.GaugeVec // queue
	readOK  *prometheus.GaugeVec // queue
}

func newQueueCollector(insp *asynq.Inspector, queues map[string]string, log *zap.Logger) *queueCollector {
	return &queueCollector{insp: insp, queues: queues, log: log,
		tasks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "botd_job_queue_tasks",
			Help: "Jobs in botd's queue (shared by all replicas: use max, not sum), by queue and state (pending, scheduled, retry, active, archived).",
		}, []string{"queue", "state"}),
		latency: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "botd_job_queue_latency_seconds",
			Help: "How long the oldest pending job of the queue has waited (shared by all replicas: use max).",
		}, []string{"queue"}),
		readOK: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "botd_job_queue_read_ok",
			Help: "1 if the queue's size could be read at this scrape, 0 if Redis did not answer.",
		}, []string{"queue"}),
	}
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	c.tasks.Describe(ch)
	c.latency.Describe(ch)
	c.readOK.Describe(ch)
}

// Collect implements prometheus.Collector. A queue that has never held a
// job does not exist for asynq yet: it reports zeros. A queue that cannot
// be read reports read_ok 0 and no sizes, rather than stale ones.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tasks.Reset()
	c.latency.Reset()
	known, err := c.insp.Queues()
	if err != nil {
		c.log.Warn("cannot list the job queues for /metrics", zap.Error(err))
	}
	for name, label := range c.queues {
		info, err := c.info(known, err, name)
		if err != nil {
			if known != nil {
				c.log.Warn("cannot read the job queue's size for /metrics", zap.String("queue", label), zap.Error(err))
			}
			c.readOK.WithLabelValues(label).Set(0)
			continue
		}
		c.readOK.WithLabelValues(label).Set(1)
		for state, n := range map[string]int{"pending": info.Pending, "scheduled": info.Scheduled,
			"retry": info.Retry, "active": info.Active, "archived": info.Archived} {
			c.tasks.WithLabelValues(label, state).Set(float64(n))
		}
		c.latency.WithLabelValues(label).Set(info.Latency.Seconds())
	}
	c.tasks.Collect(ch)
	c.latency.Collect(ch)
	c.readOK.Collect(ch)
}

// info reads one queue, given the queues asynq knows (or the error that
// listing them gave): a queue that never held a job is not one of them yet,
// and is empty.
func (c *queueCollector) info(known []string, listErr error, name string) (*asynq.QueueInfo, error) {
	switch {
	case listErr != nil:
		return nil, listErr
	case !slices.Contains(known, name):
		return &asynq.QueueInfo{}, nil
	}
	return c.insp.GetQueueInfo(name)
}
