package proctest

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// Two replicas on one Redis: every command reaches replica A and every
// click replica B, so each flow starts on one and is submitted through the
// other. Every flow completes exactly once, and each job runs on one replica
// only: the log line only the job that did the work writes ("form sent",
// "final card posted") appears once per interaction across both processes.
func TestTwoReplicas(t *testing.T) {
	w := newWorld(t, worldOpts{chats: 2, users: 4})
	a, b := w.start("replica-a"), w.start("replica-b")
	flows := plan(w, "replica", 20, 5)

	ctx := t.Context()
	d := &driver{sim: w.sim, events: w.platform(a, a), clicks: w.platform(b, b),
		senders: 4, clickers: 4, gap: 100 * time.Millisecond, think: 100 * time.Millisecond,
		patience: 10 * time.Second}
	formsBy, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	d.run(formsBy, t, flows)
	if err := w.waitSettled(ctx, flows, time.Now().Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	w.checkExactlyOnce(ctx, flows, true)
	w.checkNoJobsGivenUp(t)

	sent := countLogLines(t, "form sent", a, b)
	posted := countLogLines(t, "final card posted", a, b)
	ran := map[string]int{}
	for _, f := range flows {
		checkRanOnce(t, f, "form sent", sent[f.iid], ran)
		if f.answered && !f.cancel {
			checkRanOnce(t, f, "final card posted", posted[f.iid], ran)
		}
	}
	t.Logf("jobs that did the work, by replica: %v; redeliveries %d, clicks repeated %d",
		ran, d.redeliveries.Load(), d.reclicks.Load())
}

// checkRanOnce asserts that exactly one log line msg names f's interaction,
// across all processes, and counts it for the process that wrote it.
func checkRanOnce(t *testing.T, f *flow, msg string, byProcess map[string]int, ran map[string]int) {
	t.Helper()
	total := 0
	for name, n := range byProcess {
		total += n
		ran[name] += n
	}
	if total != 1 {
		t.Errorf("%q (%s): %d %q log lines, want 1 (by process: %v)", f.title, f.iid, total, msg, byProcess)
	}
}

// countLogLines counts the JSON log lines whose message is msg, by
// interaction id and process name, in every log file of procs.
func countLogLines(t *testing.T, msg string, procs ...*Process) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{}
	for _, p := range procs {
		for _, path := range p.Logs() {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				var line struct {
					Msg string `json:"msg"`
					IID string `json:"interaction_id"`
				}
				if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != msg || line.IID == "" {
					continue
				}
				if out[line.IID] == nil {
					out[line.IID] = map[string]int{}
				}
				out[line.IID][p.name]++
			}
			f.Close()
			if err := sc.Err(); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
	}
	return out
}

// A replica SIGKILLed mid-flow and never started again: the jobs it was
// running are resumed by the replica that lives, within seconds of the
// dead one's last heartbeat (internal/jobs/orphans.go), and every flow still
// completes exactly once. The platform talks to the live replica only; the
// other one just takes its share of the jobs.
func TestReplicaKilledMidFlow(t *testing.T) {
	w := newWorld(t, worldOpts{chats: 2, users: 4})
	// Latency keeps jobs in flight, so the kill lands in some of them.
	w.sim.SetFault(func(*http.Request) *feishusim.Fault {
		return &feishusim.Fault{Delay: randBetween(100*time.Millisecond, 300*time.Millisecond)}
	})
	live, doomed := w.start("replica-live"), w.start("replica-doomed")
	flows := plan(w, "killed", 30, 5)
	ctx := t.Context()
	d := &driver{sim: w.sim, events: w.platform(live, live), clicks: w.platform(live, live),
		senders: 4, clickers: 4, gap: 500 * time.Millisecond, think: 200 * time.Millisecond,
		patience: 30 * time.Second}
	members, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		d.run(members, t, flows)
	}()
	sleep(ctx, randBetween(1500*time.Millisecond, 3*time.Second))
	doomed.Kill()
	killedAt := time.Now()
	<-driven
	if err := w.waitSettled(ctx, flows, killedAt.Add(recoveryBound)); err != nil {
		t.Fatal(err)
	}
	w.checkExactlyOnce(ctx, flows, true)
	w.checkNoJobsGivenUp(t)
	t.Logf("%d flows; settled %s after the kill; jobs resumed by the live replica: %d",
		len(flows), time.Since(killedAt).Round(time.Millisecond), len(live.grep("orphaned job resumed")))
}
