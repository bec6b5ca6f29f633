package proctest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

const deletePath = "/open-apis/ephemeral/v1/delete"

// record is the simulator's account of botd's effects, per interaction. It
// is the evidence for exactly-once: what the platform did, not what botd
// says it did.
type record struct {
	calls   []feishusim.Call
	forms   map[string][]feishusim.Ephemeral // iid → its forms (ephemeral sends answered with code 0)
	deletes map[string]int                   // iid → ephemeral deletes answered with code 0
	posts   map[string][]feishusim.Message   // iid → group posts made (uuid "<iid>-final")
	byTitle map[string][]feishusim.Ephemeral // form title → forms, to tie a command to its interaction
	strays  []string                         // effects that belong to no interaction
}

func readRecord(sim *feishusim.Server) *record {
	r := &record{
		forms:   map[string][]feishusim.Ephemeral{},
		deletes: map[string]int{},
		posts:   map[string][]feishusim.Message{},
		byTitle: map[string][]feishusim.Ephemeral{},
	}
	// Calls first: every form a recorded delete names was sent before it,
	// so it is in the later Ephemerals snapshot.
	r.calls = sim.Calls()
	formOf := map[string]string{} // message id → iid
	for _, e := range sim.Ephemerals() {
		iid := formIID(e.Card)
		if iid == "" {
			r.strays = append(r.strays, fmt.Sprintf("ephemeral %s names no interaction: %s", e.MessageID, e.Card))
			continue
		}
		formOf[e.MessageID] = iid
		r.forms[iid] = append(r.forms[iid], e)
		title := inputDefault(e.Card, "title")
		r.byTitle[title] = append(r.byTitle[title], e)
	}
	for _, c := range r.calls {
		if c.Path != deletePath || c.Status != http.StatusOK || c.Code != 0 {
			continue
		}
		var body struct {
			MessageID string `json:"message_id"`
		}
		_ = json.Unmarshal(c.Body, &body)
		if iid, ok := formOf[body.MessageID]; ok {
			r.deletes[iid]++
		} else {
			r.strays = append(r.strays, fmt.Sprintf("call %d deleted %q, not a form", c.Seq, body.MessageID))
		}
	}
	for _, m := range sim.Messages() {
		iid, ok := strings.CutSuffix(m.UUID, "-final")
		if !ok {
			r.strays = append(r.strays, fmt.Sprintf("message %s has uuid %q, not <iid>-final", m.MessageID, m.UUID))
			continue
		}
		r.posts[iid] = append(r.posts[iid], m)
	}
	return r
}

// iidOf is the interaction the flow's command started, and how many
// interactions it started (more than one is a duplicate).
func (r *record) iidOf(f *flow) (iid string, n int) {
	seen := map[string]bool{}
	for _, e := range r.byTitle[f.title] {
		if id := formIID(e.Card); !seen[id] {
			seen[id] = true
			iid = id
		}
	}
	return iid, len(seen)
}

// missing lists what the flows lack: a form for every command; for a form
// answered, the group post (if submitted) and a delete.
func (r *record) missing(flows []*flow) []string {
	var out []string
	for _, f := range flows {
		iid, n := r.iidOf(f)
		switch {
		case n == 0:
			out = append(out, f.title+": no form")
		case !f.answered:
		case !f.cancel && len(r.posts[iid]) == 0:
			out = append(out, f.title+": not posted")
		case r.deletes[iid] == 0:
			out = append(out, f.title+": form not deleted")
		}
	}
	return out
}

// describe lists the calls about an interaction: those whose request or
// answer names it or one of its forms.
func (r *record) describe(iid string) string {
	needles := []string{iid}
	for _, e := range r.forms[iid] {
		needles = append(needles, e.MessageID)
	}
	var b strings.Builder
	for _, c := range r.calls {
		for _, s := range needles {
			if strings.Contains(string(c.Body), s) || strings.Contains(string(c.Response), s) {
				fmt.Fprintf(&b, "\n    #%d %s %s %s → HTTP %d code %d duplicate=%t",
					c.Seq, c.Time.Format("15:04:05.000"), c.Method, c.Path, c.Status, c.Code, c.Duplicate)
				break
			}
		}
	}
	return b.String()
}

// checkRecord asserts the exactly-once rules on the record:
//   - a command starts one interaction, which sends one form; two only when
//     excused: botd flagged the send ambiguous (the process died during it);
//   - a submitted form makes one group post, a cancelled one none;
//   - an answered form is deleted, once (the simulator answers a repeated
//     delete with 18051, which is not counted), except, if excused, the one
//     form whose send botd never saw the answer to;
//   - nothing belongs to no flow.
//
// Flows the driver could not answer are held to the form rule only. It
// returns the ids (of interactions, or of the events of commands that got no
// form) to look up in botd's logs.
func checkRecord(t *testing.T, r *record, flows []*flow, excused map[string]bool) (suspects []string) {
	t.Helper()
	fail := func(id, format string, args ...any) {
		t.Errorf(format, args...)
		suspects = append(suspects, id)
	}
	ours := map[string]bool{}
	undeletedTotal, repeated := 0, 0
	for _, f := range flows {
		iid, n := r.iidOf(f)
		if n == 0 {
			fail(f.eventID, "%q (event %s): no form", f.title, f.eventID)
			continue
		}
		if n > 1 {
			t.Errorf("%q: %d interactions started, want 1", f.title, n)
			for _, e := range r.byTitle[f.title] {
				iid := formIID(e.Card)
				ours[iid] = true
				fail(iid, "  form %s of %s:%s", e.MessageID, iid, r.describe(iid))
			}
			continue
		}
		ours[iid] = true
		forms, allowed := len(r.forms[iid]), 1
		if forms > 1 {
			repeated++
		}
		if excused[iid] {
			allowed = 2
		}
		if forms > allowed {
			fail(iid, "%q (%s): %d forms sent, want 1 (excused as ambiguous: %t):%s", f.title, iid, forms, excused[iid], r.describe(iid))
		}
		if !f.answered {
			continue
		}
		posts, wantPosts := len(r.posts[iid]), 1
		if f.cancel {
			wantPosts = 0
		}
		if posts != wantPosts {
			fail(iid, "%q (%s, cancelled %t): %d group posts, want %d:%s", f.title, iid, f.cancel, posts, wantPosts, r.describe(iid))
		}
		// The simulator deletes a form once at most, so this asks for one
		// delete per form, except that an excused interaction may keep the
		// form whose send's answer botd never saw: it never learnt its id.
		undeleted, mayKeep := forms-r.deletes[iid], 0
		if excused[iid] {
			mayKeep = 1
		}
		if undeleted > mayKeep {
			fail(iid, "%q (%s): %d of %d forms never deleted (excused as ambiguous: %t):%s",
				f.title, iid, undeleted, forms, excused[iid], r.describe(iid))
		}
		undeletedTotal += undeleted
	}
	for iid := range r.forms {
		if !ours[iid] {
			fail(iid, "form of no flow's interaction %s:%s", iid, r.describe(iid))
		}
	}
	for iid := range r.posts {
		if !ours[iid] {
			fail(iid, "group post of no flow's interaction %s:%s", iid, r.describe(iid))
		}
	}
	for _, s := range r.strays {
		t.Errorf("stray effect: %s", s)
	}
	t.Logf("exactly-once: %d flows checked; %d with a second form, %d forms of answered flows left undeleted",
		len(flows), repeated, undeletedTotal)
	return suspects
}

// checkExactlyOnce checks the simulator's record against flows (see
// checkRecord), excusing a second form, or a form left undeleted, where
// botd's outbox flagged the send ambiguous, if excuseAmbiguous. On failure it
// logs botd's log lines about the flows at fault.
func (w *world) checkExactlyOnce(ctx context.Context, flows []*flow, excuseAmbiguous bool) {
	w.t.Helper()
	sends, others := w.ambiguous(ctx)
	var ids []string
	for iid := range sends {
		ids = append(ids, iid)
	}
	sort.Strings(ids)
	w.t.Logf("outbox: %d form sends flagged ambiguous %v, %d other effects (posts, deletes)", len(ids), ids, others)
	if !excuseAmbiguous {
		sends = nil
	}
	suspects := checkRecord(w.t, readRecord(w.sim), flows, sends)
	if len(suspects) == 0 {
		return
	}
	for _, p := range w.procs {
		if lines := p.grep(suspects...); len(lines) > 0 {
			w.t.Logf("%s's log lines about the flows that broke a rule:\n%s", p.name, strings.Join(lines, "\n"))
		}
	}
}

// waitSettled polls until botd has no job left: none pending, running,
// scheduled or waiting for a retry. botd acknowledges a command or a click
// only once its job is enqueued, so when the queues are empty after the
// driver is done, nothing more will happen and the record is final. A job
// that was running when its process was killed counts as running until
// asynq recovers it, after its lease. At the deadline it reports the jobs
// still open and what the flows lack.
func (w *world) waitSettled(ctx context.Context, flows []*flow, deadline time.Time) error {
	for {
		q, err := w.queues()
		if err == nil && q.open == 0 {
			return nil
		}
		if time.Now().After(deadline) || !sleep(ctx, 100*time.Millisecond) {
			missing := readRecord(w.sim).missing(flows)
			if len(missing) > 10 {
				missing = append(missing[:10], fmt.Sprintf("and %d more", len(missing)-10))
			}
			return fmt.Errorf("not settled: %d jobs still open (queue error: %v); flows lacking: %s",
				q.open, err, strings.Join(missing, "; "))
		}
	}
}

// checkNoJobsGivenUp reports the jobs botd archived after their last retry.
func (w *world) checkNoJobsGivenUp(t *testing.T) {
	t.Helper()
	q, err := w.queues()
	if err != nil {
		t.Errorf("read job queues: %v", err)
	} else if q.archived > 0 {
		t.Errorf("%d jobs given up:%s", q.archived, w.archivedJobs())
	}
}
