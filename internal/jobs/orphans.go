package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
)

// Orphaned jobs.
//
// A job is orphaned when the process running it died (SIGKILL, OOM, a lost
// machine): asynq still lists it as active, and would hand it to another
// worker only once its lease (30 s) has expired by another 30 s, looking
// every minute, so a member's submitted form would show nothing in the group
// for one to two and a half minutes. Every replica looks for such jobs
// itself, at start and then every few seconds (orphanScanEvery), and puts
// them back in their queue at once, under the same task id.
//
// How a live worker's job is told apart from an orphaned one: two
// heartbeats must both have stopped.
//
//   - asynq's own lease: every live asynq server extends the lease of each
//     job it runs every 5 s, to 30 s ahead (asynq:{queue}:lease, a zset of
//     the queue's running task ids scored by lease expiry, whole seconds).
//     A score more than OrphanAfter behind "now + 30 s" means nobody has
//     extended it for OrphanAfter: its process stopped heartbeating. That
//     zset is the index of in-flight work: maintained by asynq's own
//     dequeue/done scripts, holding only running jobs, sorted by last
//     heartbeat, so the scan is one ZRANGEBYSCORE per queue with a LIMIT,
//     never a SCAN of keys.
//   - botd's own lease: while a job's handler runs, run keeps
//     botd:jobs:{queue}:lease:{task id} holding the Unix ms it is good
//     until (leaseTTL ahead, rewritten every leaseTTL/4; the key's TTL only
//     cleans up, since an in-process Redis does not expire keys on its
//     own). The replicas' clocks are assumed to agree within a second or
//     two, as asynq's lease assumes too. It covers what asynq's heartbeat does not promise, and a
//     task whose asynq lease looks stale while botd's key lives (a heartbeat
//     delayed on a loaded machine) is left alone.
//
// The check and the requeue are one Lua script (requeueOrphanCmd), so
// replicas scanning at once requeue a job once: the first removes it from
// the active list and the lease set, the others find it gone. The requeued
// job keeps its task id, so a re-enqueue of the same step still collapses
// into it, and it runs like any retry: every job re-reads its state and does
// only what is missing, and the outbox and the platform's uuid keep a second
// attempt from sending a form or posting a card twice (see flows.Outbox).
//
// A job requeued maxOrphanResumes times in a row without finishing (one
// that kills its process, say) is left to asynq's recoverer, which counts
// the attempt against the job's retries and eventually gives up on it.

// asynqLease is asynq's lease (internal/rdb.LeaseDuration in v0.26): a live
// worker's lease always ends at most this far ahead, and at least this
// minus asynq's 5 s heartbeat interval ahead.
const asynqLease = 30 * time.Second

// minOrphanAfter keeps OrphanAfter clear of asynq's 5 s heartbeat, plus a
// second for the lease's whole-second scores and a second of slack.
const minOrphanAfter = 8 * time.Second

// maxOrphanResumes bounds how often one task is requeued by the orphan scan
// within orphanCountTTL.
const (
	maxOrphanResumes = 5
	orphanCountTTL   = time.Hour
)

// orphanBatch bounds one scan of one queue.
const orphanBatch = 100

// asynq's keys for a queue (internal/base in v0.26). The hash tag {queue}
// puts them, and botd's own keys for the queue, in one cluster slot, so
// requeueOrphanCmd runs on a cluster. That slot takes all of its queue's
// traffic (asynq's design: a queue is a list, a zset and its task hashes
// in one slot); botd's two queues are the cluster's two busiest slots.
// They could be split the way the due set is (N queues per priority, a
// task's queue chosen by a hash of its task id so that its dedupe still
// meets), at the cost of N times the idle polling; at botd's volumes one
// master serves both.
func asynqKey(queue, suffix string) string { return "asynq:{" + queue + "}:" + suffix }

// leaseKey is botd's own lease of a running task, in the queue's slot.
func leaseKey(queue, taskID string) string { return "botd:jobs:{" + queue + "}:lease:" + taskID }

// resumedKey counts the orphan requeues of a task.
func resumedKey(queue, taskID string) string { return "botd:jobs:{" + queue + "}:resumed:" + taskID }

// requeueOrphanCmd moves an orphaned task from active back to pending, as
// asynq's own Requeue does, if it still is orphaned.
//
// KEYS[1] active list  KEYS[2] lease zset  KEYS[3] pending list  KEYS[4] task hash
// KEYS[5] botd's lease  KEYS[6] botd's requeue count
// ARGV[1] task id  ARGV[2] cutoff: the highest lease score of a dead worker
// ARGV[3] max requeues  ARGV[4] count TTL (ms)  ARGV[5] now (Unix ms)
// Returns {n, lease score}: n > 0 the requeue count after a requeue; 0 not
// orphaned (gone, finished, heartbeat seen, botd's lease alive); -1 left to
// asynq's recoverer (requeued too often).
var requeueOrphanCmd = redis.NewScript(`
local score = redis.call("ZSCORE", KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return {0, "0"} end
local held = redis.call("GET", KEYS[5])
if held and tonumber(held) > tonumber(ARGV[5]) then return {0, score} end
if redis.call("HGET", KEYS[4], "state") ~= "active" then return {0, score} end
local n = redis.call("INCR", KEYS[6])
redis.call("PEXPIRE", KEYS[6], ARGV[4])
if n > tonumber(ARGV[3]) then return {-1, score} end
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then return {0, score} end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("RPUSH", KEYS[3], ARGV[1])
redis.call("HSET", KEYS[4], "state", "pending")
return {n, score}`)

// orphanScanEvery is how often a replica looks for orphans: a quarter of
// OrphanAfter, between 500 ms and 5 s.
func (c Config) orphanScanEvery() time.Duration {
	return min(max(c.OrphanAfter/4, 500*time.Millisecond), 5*time.Second)
}

// leaseTTL is botd's own lease of a running job: half of OrphanAfter, so
// a job whose process died has no botd lease left by the time its asynq
// heartbeat is OrphanAfter old.
func (c Config) leaseTTL() time.Duration { return c.OrphanAfter / 2 }

// holdLease keeps botd's lease of the running task alive until the
// returned stop is called, which also drops it. A failed write is only
// logged: the job runs on, and the asynq heartbeat still marks it live.
func (q *Queue) holdLease(ctx context.Context, queue, taskID string) (stop func()) {
	if queue == "" || taskID == "" {
		return func() {}
	}
	key, ttl := leaseKey(queue, taskID), q.cfg.leaseTTL()
	// The lease outlives the job's context: written and dropped with a
	// context of its own, so a cancelled job still drops it.
	bg := context.WithoutCancel(ctx)
	write := func() {
		wctx, cancel := context.WithTimeout(bg, ttl/2)
		defer cancel()
		until := time.Now().Add(ttl).UnixMilli()
		if err := q.rdb.Set(wctx, key, until, ttl).Err(); err != nil {
			q.log.Warn("cannot refresh the job's lease", zap.String("task_id", taskID), zap.Error(err))
		}
	}
	write()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(ttl / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				write()
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		dctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		_ = q.rdb.Del(dctx, key).Err() // it lapses anyway
	}
}

// watchOrphans scans for orphans at once and then every orphanScanEvery
// until stop is closed.
func (q *Queue) watchOrphans(stop <-chan struct{}) {
	t := time.NewTicker(q.cfg.orphanScanEvery())
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), q.cfg.orphanScanEvery())
		if _, err := q.ResumeOrphans(ctx); err != nil {
			q.log.Warn("orphaned job scan failed", zap.Error(err))
		}
		cancel()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// ResumeOrphans puts every orphaned job (see the comment at the top of
// orphans.go) back in its queue and returns how many it requeued. Every
// replica calls it every few seconds; it is exported for tests.
func (q *Queue) ResumeOrphans(ctx context.Context) (int, error) {
	now := time.Now()
	// A live worker's lease ends at least asynqLease - 5 s ahead; one whose
	// last heartbeat is OrphanAfter old ends asynqLease - OrphanAfter ahead.
	cutoff := now.Add(asynqLease - q.cfg.OrphanAfter).Unix()
	resumed := 0
	for _, p := range []flows.Priority{flows.PriorityInteractive, flows.PriorityBulk} {
		queue := q.cfg.queueName(p)
		ids, err := q.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: asynqKey(queue, "lease"),
			Start: "-inf", Stop: fmt.Sprint(cutoff), ByScore: true, Count: orphanBatch}).Result()
		if err != nil {
			return resumed, fmt.Errorf("jobs: list stale leases of %s: %w", queue, err)
		}
		for _, id := range ids {
			res, err := requeueOrphanCmd.Run(ctx, q.rdb, []string{
				asynqKey(queue, "active"), asynqKey(queue, "lease"), asynqKey(queue, "pending"),
				asynqKey(queue, "t:"+id), leaseKey(queue, id), resumedKey(queue, id),
			}, id, cutoff, maxOrphanResumes, orphanCountTTL.Milliseconds(), now.UnixMilli()).Slice()
			if err != nil {
				return resumed, fmt.Errorf("jobs: requeue orphan %s of %s: %w", id, queue, err)
			}
			n, _ := res[0].(int64)
			score, _ := res[1].(string)
			var leaseEnd int64
			_, _ = fmt.Sscan(score, &leaseEnd)
			age := now.Sub(time.Unix(leaseEnd, 0).Add(-asynqLease))
			kind := q.kindOf(id)
			log := q.log.With(zap.String("job", kind), zap.String("task_id", id), zap.String("queue", queue),
				zap.Duration("since_heartbeat", age.Round(time.Second)))
			switch {
			case n > 0:
				resumed++
				q.metrics.orphan(kind, age)
				log.Info("orphaned job resumed: its worker stopped heartbeating", zap.Int64("resumes", n))
			case n < 0:
				log.Warn("orphaned job requeued too often; left to asynq's recoverer, which counts it as a failed attempt")
			}
		}
	}
	return resumed, nil
}

// kindOf is the job kind of a task id ("{kind}:{id}"), or "other" for an
// id botd did not make, to keep the metric's labels bounded.
func (q *Queue) kindOf(taskID string) string {
	kind, _, _ := strings.Cut(taskID, ":")
	if _, ok := q.spec(flows.JobKind(kind)); !ok {
		return "other"
	}
	return kind
}
