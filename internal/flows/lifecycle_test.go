package flows

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func wantToast(t *testing.T, ans Answer, typ, content string) {
	t.Helper()
	if ans.Toast == nil || ans.Toast.Type != typ || ans.Toast.Content != content {
		t.Fatalf("toast = %+v, want %s %q", ans.Toast, typ, content)
	}
	if ans.Toast.I18n[LocaleEnUS] == "" || ans.Toast.I18n[LocaleZhCN] == "" {
		t.Errorf("toast I18n = %v, want en_us and zh_cn", ans.Toast.I18n)
	}
}

func wantOps(t *testing.T, s *recSender, want ...string) {
	t.Helper()
	if got := s.ops(); !slices.Equal(got, want) {
		t.Fatalf("sender calls = %q, want %q", got, want)
	}
}

func TestHappyPath(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "@_user_1 /todo Buy milk tomorrow @_user_2")
	v.run(t, JobSendForm, it.ID)

	sent := v.sender.only(t, "send")
	if len(sent) != 1 || sent[0].ChatID != chatID || sent[0].OpenID != userID {
		t.Fatalf("sends = %+v, want one to the sender in the chat", sent)
	}
	if got := v.store.get(t, it.ID).EphemeralMessageID; got != "om_eph_1" {
		t.Fatalf("EphemeralMessageID = %q", got)
	}

	ans := v.click(t, it, userID, ActionSubmit, validForm())
	wantToast(t, ans, ToastSuccess, "Todo created")
	if ans.Toast.I18n[LocaleZhCN] != "待办已创建" {
		t.Errorf("zh_cn toast = %q", ans.Toast.I18n[LocaleZhCN])
	}
	if ans.Card != nil {
		t.Error("a successful submit answers with a toast only")
	}
	got := v.store.get(t, it.ID)
	if got.Status != StatusSubmitted || got.Form["title"] != "Buy milk" || got.Form["due_date"] != "2024-11-15" ||
		got.Form["assignee"] != bobID || got.Timezone != "Asia/Shanghai" {
		t.Fatalf("after submit: %+v", got)
	}
	if jobs := v.jobs.list(); jobs[len(jobs)-1] != (job{JobFinish, it.ID}) {
		t.Fatalf("jobs = %v, want a finish last", jobs)
	}

	v.run(t, JobFinish, it.ID)
	wantOps(t, v.sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	if post := v.sender.only(t, "post")[0]; post.UUID != it.ID+"-final" || post.ChatID != chatID {
		t.Errorf("post = %+v, want uuid %s-final", post, it.ID)
	}
	got = v.store.get(t, it.ID)
	if got.Status != StatusDone || got.FinalMessageID != "om_post_2" {
		t.Errorf("after finish: %+v", got)
	}

	// Every job again: nothing more happens.
	for _, k := range []JobKind{JobSendForm, JobFinish, JobCancel} {
		v.run(t, k, it.ID)
	}
	wantOps(t, v.sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
}

func TestCancel(t *testing.T) {
	tests := []struct {
		text  string
		toast string
	}{
		{"/todo Buy milk", "Cancelled"},
		{"/help", "Closed"},
		{"/foo", "Closed"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			v := newEnv(t)
			it := v.start(t, tt.text)
			v.run(t, JobSendForm, it.ID)
			wantToast(t, v.click(t, it, userID, ActionCancel, nil), ToastInfo, tt.toast)
			if got := v.store.get(t, it.ID).Status; got != StatusCancelled {
				t.Fatalf("status = %s", got)
			}
			v.run(t, JobCancel, it.ID)
			wantOps(t, v.sender, "send om_eph_1", "delete om_eph_1")

			// A second click, and a submit after the cancel, change nothing.
			wantToast(t, v.click(t, it, userID, ActionCancel, nil), ToastInfo, tt.toast)
			wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastInfo, tt.toast)
			v.run(t, JobFinish, it.ID)
			if got := v.store.get(t, it.ID).Status; got != StatusCancelled {
				t.Fatalf("status = %s", got)
			}
			if posts := v.sender.only(t, "post"); len(posts) != 0 {
				t.Fatalf("posted %v after a cancel", posts)
			}
		})
	}
}

// A cancel before the form was sent: nothing is sent, nothing deleted.
func TestCancelBeforeSend(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo x")
	wantToast(t, v.click(t, it, userID, ActionCancel, nil), ToastInfo, "Cancelled")
	v.run(t, JobCancel, it.ID)
	v.run(t, JobSendForm, it.ID)
	wantOps(t, v.sender)
}

func TestDoubleSubmit(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.run(t, JobSendForm, it.ID)
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastSuccess, "Todo created")
	// The second click re-enqueues finish (it may have been lost), once per click.
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastInfo, "Already submitted")
	for _, j := range v.jobs.list() {
		v.run(t, j.Kind, j.ID)
	}
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastInfo, "Already submitted")
	wantToast(t, v.click(t, it, userID, ActionCancel, nil), ToastInfo, "Already submitted")
	wantOps(t, v.sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	var finishes int
	for _, j := range v.jobs.list() {
		if j.Kind == JobFinish {
			finishes++
		}
	}
	if finishes != 2 {
		t.Errorf("%d finish jobs, want 2 (one per click while submitted)", finishes)
	}
}

// Two submits race: the other one saves first, so this one's compare-and-set
// fails; it reloads and answers with the state it finds.
func TestSubmitConflict(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.store.beforeUpdate = func(*Interaction) {
		v.store.modify(t, it.ID, func(it *Interaction) {
			it.Status = StatusSubmitted
			it.Form = map[string]string{"title": "First"}
		})
	}
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastInfo, "Already submitted")
	if got := v.store.get(t, it.ID); got.Form["title"] != "First" {
		t.Errorf("the losing submit overwrote the winner: %v", got.Form)
	}
}

// The enqueue after a submit fails: the user sees an error, and clicking
// again recovers the finish.
func TestSubmitEnqueueFails(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	errDown := errors.New("queue down")
	v.jobs.fail = errDown
	_, err := v.e.HandleAction(context.Background(), Action{OperatorID: userID, FormValue: validForm(),
		Value: map[string]any{"flow": "todo", "action": "submit", "iid": it.ID}})
	if !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want it to wrap %v", err, errDown)
	}
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastInfo, "Already submitted")
	if jobs := v.jobs.list(); jobs[len(jobs)-1] != (job{JobFinish, it.ID}) {
		t.Errorf("jobs = %v, want a finish", jobs)
	}
}

func TestActionRefused(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		value func(it *Interaction) map[string]any
		toast string
	}{
		{"another member", otherID, func(it *Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "submit", "iid": it.ID}
		}, "Only the member who opened this form can use it"},
		{"another member cancels", otherID, func(it *Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "cancel", "iid": it.ID}
		}, "Only the member who opened this form can use it"},
		{"expired iid", userID, func(*Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "submit", "iid": "itx_gone"}
		}, "This form has expired"},
		// Without an iid the value is taken for a group card's, and names no todo.
		{"no iid", userID, func(*Interaction) map[string]any { return map[string]any{"flow": "todo"} }, "This button no longer works"},
		{"no iid, no flow", userID, func(*Interaction) map[string]any { return map[string]any{"action": "submit"} }, "This form has expired"},
		{"iid not a string", userID, func(*Interaction) map[string]any { return map[string]any{"iid": 42} }, "This form has expired"},
		{"wrong flow", userID, func(it *Interaction) map[string]any {
			return map[string]any{"flow": "remind", "action": "submit", "iid": it.ID}
		}, "This form has expired"},
		{"unknown action", userID, func(it *Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "explode", "iid": it.ID}
		}, "This button no longer works"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			it := v.start(t, "/todo Buy milk")
			ans, err := v.e.HandleAction(context.Background(), Action{OperatorID: tt.op, Value: tt.value(it), FormValue: validForm()})
			if err != nil {
				t.Fatalf("HandleAction: %v", err)
			}
			wantToast(t, ans, ToastError, tt.toast)
			if got := v.store.get(t, it.ID); got.Status != StatusPending || got.Version != 1 {
				t.Errorf("interaction changed: %+v", got)
			}
			if jobs := v.jobs.list(); len(jobs) != 1 {
				t.Errorf("jobs = %v, want only the send_form", jobs)
			}
		})
	}
}

func TestSubmitOnHelpRefused(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/help")
	wantToast(t, v.click(t, it, userID, ActionSubmit, nil), ToastError, "This button no longer works")
}

func TestRunJobErrors(t *testing.T) {
	v := newEnv(t)
	err := v.e.RunJob(context.Background(), JobFinish, "itx_gone")
	if !errors.Is(err, ErrNotFound) || isPermanent(err) {
		t.Errorf("unknown interaction: err = %v, want ErrNotFound", err)
	}
	it := v.start(t, "/todo x")
	if err := v.e.RunJob(context.Background(), "explode", it.ID); !isPermanent(err) {
		t.Errorf("unknown kind: err = %v, want a permanent error", err)
	}
	v.store.modify(t, it.ID, func(it *Interaction) { it.Flow = "gone" })
	if err := v.e.RunJob(context.Background(), JobSendForm, it.ID); !isPermanent(err) {
		t.Errorf("unknown flow: err = %v, want a permanent error", err)
	}
}

// The Open API fails at each step of finish in turn; each retry completes
// what is left, and in the end there is one post, then one delete.
func TestFinishRetries(t *testing.T) {
	for _, op := range []string{"post", "delete"} {
		t.Run(op, func(t *testing.T) {
			v := newEnv(t)
			it := v.start(t, "/todo Buy milk")
			v.run(t, JobSendForm, it.ID)
			v.click(t, it, userID, ActionSubmit, validForm())

			v.sender.fail[op] = sendError{retry: true}
			err := v.e.RunJob(context.Background(), JobFinish, it.ID)
			var se sendError
			if !errors.As(err, &se) || isPermanent(err) {
				t.Fatalf("err = %v, want the retryable Sender error", err)
			}
			if got := v.store.get(t, it.ID).Status; got != StatusSubmitted {
				t.Fatalf("status after a failed finish = %s", got)
			}
			v.run(t, JobFinish, it.ID)
			v.run(t, JobFinish, it.ID)
			wantOps(t, v.sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
			if got := v.store.get(t, it.ID); got.Status != StatusDone || got.FinalMessageID != "om_post_2" {
				t.Errorf("after retries: %+v", got)
			}
		})
	}
}

// The store fails right after the post: the retry posts again with the same
// uuid, which the platform turns into the same message, so the group sees
// one card.
func TestFinishRecordFails(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.run(t, JobSendForm, it.ID)
	v.click(t, it, userID, ActionSubmit, validForm())
	errDown := errors.New("redis down")
	v.sender.hooks["post"] = func() { v.store.failUpdate = errDown }
	if err := v.e.RunJob(context.Background(), JobFinish, it.ID); !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want it to wrap %v", err, errDown)
	}
	v.run(t, JobFinish, it.ID)
	wantOps(t, v.sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	if got := v.store.get(t, it.ID); got.Status != StatusDone || got.FinalMessageID != "om_post_2" {
		t.Errorf("after retry: %+v", got)
	}
}

// A cancel races a submit that saves first: the cancel answers with the
// submitted state and re-enqueues its finish; nothing is cancelled.
func TestCancelConflict(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.store.beforeUpdate = func(*Interaction) {
		v.store.modify(t, it.ID, func(it *Interaction) { it.Status = StatusSubmitted })
	}
	wantToast(t, v.click(t, it, userID, ActionCancel, nil), ToastInfo, "Already submitted")
	if got := v.store.get(t, it.ID).Status; got != StatusSubmitted {
		t.Errorf("status = %s", got)
	}
	if jobs := v.jobs.list(); jobs[len(jobs)-1] != (job{JobFinish, it.ID}) {
		t.Errorf("jobs = %v, want a finish last", jobs)
	}
}

// isPermanent reports what the job queue reads from an error: whether it
// (or an error it wraps) says, through Retryable, that retrying cannot help.
func isPermanent(err error) bool {
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && !r.Retryable()
}
