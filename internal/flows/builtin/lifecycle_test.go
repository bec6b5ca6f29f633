package builtin

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

func wantToast(t *testing.T, ans flows.Answer, typ, content string) {
	t.Helper()
	if ans.Toast == nil || ans.Toast.Type != typ || ans.Toast.Content != content {
		t.Fatalf("toast = %+v, want %s %q", ans.Toast, typ, content)
	}
	if ans.Toast.I18n[flows.LocaleEnUS] == "" || ans.Toast.I18n[flows.LocaleZhCN] == "" {
		t.Errorf("toast I18n = %v, want en_us and zh_cn", ans.Toast.I18n)
	}
}

func wantOps(t *testing.T, s *flowtest.Sender, want ...string) {
	t.Helper()
	if got := s.Ops(); !slices.Equal(got, want) {
		t.Fatalf("sender calls = %q, want %q", got, want)
	}
}

func TestHappyPath(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "@_user_1 /todo Buy milk tomorrow @_user_2")
	v.Run(t, flows.JobSendForm, it.ID)

	sent := v.Sender.Only(t, "send")
	if len(sent) != 1 || sent[0].ChatID != chatID || sent[0].OpenID != userID {
		t.Fatalf("sends = %+v, want one to the sender in the chat", sent)
	}
	if got := v.Store.Get(t, it.ID).EphemeralMessageID; got != "om_eph_1" {
		t.Fatalf("EphemeralMessageID = %q", got)
	}

	ans := v.Click(t, it, userID, flows.ActionSubmit, validForm())
	wantToast(t, ans, flows.ToastSuccess, "Todo created")
	if ans.Toast.I18n[flows.LocaleZhCN] != "待办已创建" {
		t.Errorf("zh_cn toast = %q", ans.Toast.I18n[flows.LocaleZhCN])
	}
	if ans.Card != nil {
		t.Error("a successful submit answers with a toast only")
	}
	got := v.Store.Get(t, it.ID)
	if got.Status != flows.StatusSubmitted || got.Form["title"] != "Buy milk" || got.Form["due_date"] != "2024-11-15" ||
		got.Form["assignee"] != bobID || got.Timezone != "Asia/Shanghai" {
		t.Fatalf("after submit: %+v", got)
	}
	if jobs := v.Jobs.List(); jobs[len(jobs)-1] != (flowtest.Job{Kind: flows.JobFinish, ID: it.ID}) {
		t.Fatalf("jobs = %v, want a finish last", jobs)
	}

	v.Run(t, flows.JobFinish, it.ID)
	wantOps(t, v.Sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	if post := v.Sender.Only(t, "post")[0]; post.UUID != it.ID+"-final" || post.ChatID != chatID {
		t.Errorf("post = %+v, want uuid %s-final", post, it.ID)
	}
	got = v.Store.Get(t, it.ID)
	if got.Status != flows.StatusDone || got.FinalMessageID != "om_post_2" {
		t.Errorf("after finish: %+v", got)
	}

	// Every job again: nothing more happens.
	for _, k := range []flows.JobKind{flows.JobSendForm, flows.JobFinish, flows.JobCancel} {
		v.Run(t, k, it.ID)
	}
	wantOps(t, v.Sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
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
			it := v.Start(t, tt.text)
			v.Run(t, flows.JobSendForm, it.ID)
			wantToast(t, v.Click(t, it, userID, flows.ActionCancel, nil), flows.ToastInfo, tt.toast)
			if got := v.Store.Get(t, it.ID).Status; got != flows.StatusCancelled {
				t.Fatalf("status = %s", got)
			}
			v.Run(t, flows.JobCancel, it.ID)
			wantOps(t, v.Sender, "send om_eph_1", "delete om_eph_1")

			// A second click, and a submit after the cancel, change nothing.
			wantToast(t, v.Click(t, it, userID, flows.ActionCancel, nil), flows.ToastInfo, tt.toast)
			wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastInfo, tt.toast)
			v.Run(t, flows.JobFinish, it.ID)
			if got := v.Store.Get(t, it.ID).Status; got != flows.StatusCancelled {
				t.Fatalf("status = %s", got)
			}
			if posts := v.Sender.Only(t, "post"); len(posts) != 0 {
				t.Fatalf("posted %v after a cancel", posts)
			}
		})
	}
}

// A cancel before the form was sent: nothing is sent, nothing deleted.
func TestCancelBeforeSend(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo x")
	wantToast(t, v.Click(t, it, userID, flows.ActionCancel, nil), flows.ToastInfo, "Cancelled")
	v.Run(t, flows.JobCancel, it.ID)
	v.Run(t, flows.JobSendForm, it.ID)
	wantOps(t, v.Sender)
}

func TestDoubleSubmit(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, it.ID)
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastSuccess, "Todo created")
	// The second click re-enqueues finish (it may have been lost), once per click.
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastInfo, "Already submitted")
	for _, j := range v.Jobs.List() {
		v.Run(t, j.Kind, j.ID)
	}
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastInfo, "Already submitted")
	wantToast(t, v.Click(t, it, userID, flows.ActionCancel, nil), flows.ToastInfo, "Already submitted")
	wantOps(t, v.Sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	var finishes int
	for _, j := range v.Jobs.List() {
		if j.Kind == flows.JobFinish {
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
	it := v.Start(t, "/todo Buy milk")
	v.Store.BeforeUpdate = func(*flows.Interaction) {
		v.Store.Modify(t, it.ID, func(it *flows.Interaction) {
			it.Status = flows.StatusSubmitted
			it.Form = map[string]string{"title": "First"}
		})
	}
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastInfo, "Already submitted")
	if got := v.Store.Get(t, it.ID); got.Form["title"] != "First" {
		t.Errorf("the losing submit overwrote the winner: %v", got.Form)
	}
}

// The enqueue after a submit fails: the user sees an error, and clicking
// again recovers the finish.
func TestSubmitEnqueueFails(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	errDown := errors.New("queue down")
	v.Jobs.Fail(errDown)
	_, err := v.E.HandleAction(context.Background(), flows.Action{OperatorID: userID, FormValue: validForm(),
		Value: map[string]any{"flow": "todo", "action": "submit", "iid": it.ID}})
	if !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want it to wrap %v", err, errDown)
	}
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastInfo, "Already submitted")
	if jobs := v.Jobs.List(); jobs[len(jobs)-1] != (flowtest.Job{Kind: flows.JobFinish, ID: it.ID}) {
		t.Errorf("jobs = %v, want a finish", jobs)
	}
}

func TestActionRefused(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		value func(it *flows.Interaction) map[string]any
		toast string
	}{
		{"another member", otherID, func(it *flows.Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "submit", "iid": it.ID}
		}, "Only the member who opened this form can use it"},
		{"another member cancels", otherID, func(it *flows.Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "cancel", "iid": it.ID}
		}, "Only the member who opened this form can use it"},
		{"expired iid", userID, func(*flows.Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "submit", "iid": "itx_gone"}
		}, "This form has expired"},
		// Without an iid the value is taken for a group card's, and names no todo.
		{"no iid", userID, func(*flows.Interaction) map[string]any { return map[string]any{"flow": "todo"} }, "This button no longer works"},
		{"no iid, no flow", userID, func(*flows.Interaction) map[string]any { return map[string]any{"action": "submit"} }, "This form has expired"},
		{"iid not a string", userID, func(*flows.Interaction) map[string]any { return map[string]any{"iid": 42} }, "This form has expired"},
		{"wrong flow", userID, func(it *flows.Interaction) map[string]any {
			return map[string]any{"flow": "remind", "action": "submit", "iid": it.ID}
		}, "This form has expired"},
		{"unknown action", userID, func(it *flows.Interaction) map[string]any {
			return map[string]any{"flow": "todo", "action": "explode", "iid": it.ID}
		}, "This button no longer works"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			it := v.Start(t, "/todo Buy milk")
			ans, err := v.E.HandleAction(context.Background(), flows.Action{OperatorID: tt.op, Value: tt.value(it), FormValue: validForm()})
			if err != nil {
				t.Fatalf("HandleAction: %v", err)
			}
			wantToast(t, ans, flows.ToastError, tt.toast)
			if got := v.Store.Get(t, it.ID); got.Status != flows.StatusPending || got.Version != 1 {
				t.Errorf("interaction changed: %+v", got)
			}
			if jobs := v.Jobs.List(); len(jobs) != 1 {
				t.Errorf("jobs = %v, want only the send_form", jobs)
			}
		})
	}
}

func TestSubmitOnHelpRefused(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/help")
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, nil), flows.ToastError, "This button no longer works")
}

func TestRunJobErrors(t *testing.T) {
	v := newEnv(t)
	err := v.E.RunJob(context.Background(), flows.JobFinish, "itx_gone")
	if !errors.Is(err, flows.ErrNotFound) || isPermanent(err) {
		t.Errorf("unknown interaction: err = %v, want ErrNotFound", err)
	}
	it := v.Start(t, "/todo x")
	if err := v.E.RunJob(context.Background(), "explode", it.ID); !isPermanent(err) {
		t.Errorf("unknown kind: err = %v, want a permanent error", err)
	}
	v.Store.Modify(t, it.ID, func(it *flows.Interaction) { it.Flow = "gone" })
	if err := v.E.RunJob(context.Background(), flows.JobSendForm, it.ID); !isPermanent(err) {
		t.Errorf("unknown flow: err = %v, want a permanent error", err)
	}
}

// The Open API fails at each step of finish in turn; each retry completes
// what is left, and in the end there is one post, then one delete.
func TestFinishRetries(t *testing.T) {
	for _, op := range []string{"post", "delete"} {
		t.Run(op, func(t *testing.T) {
			v := newEnv(t)
			it := v.Start(t, "/todo Buy milk")
			v.Run(t, flows.JobSendForm, it.ID)
			v.Click(t, it, userID, flows.ActionSubmit, validForm())

			v.Sender.Fail(op, flowtest.SendError{Retry: true})
			err := v.E.RunJob(context.Background(), flows.JobFinish, it.ID)
			var se flowtest.SendError
			if !errors.As(err, &se) || isPermanent(err) {
				t.Fatalf("err = %v, want the retryable Sender error", err)
			}
			if got := v.Store.Get(t, it.ID).Status; got != flows.StatusSubmitted {
				t.Fatalf("status after a failed finish = %s", got)
			}
			v.Run(t, flows.JobFinish, it.ID)
			v.Run(t, flows.JobFinish, it.ID)
			wantOps(t, v.Sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
			if got := v.Store.Get(t, it.ID); got.Status != flows.StatusDone || got.FinalMessageID != "om_post_2" {
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
	it := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, it.ID)
	v.Click(t, it, userID, flows.ActionSubmit, validForm())
	errDown := errors.New("redis down")
	v.Sender.Hook("post", func() { v.Store.FailUpdate = errDown })
	if err := v.E.RunJob(context.Background(), flows.JobFinish, it.ID); !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want it to wrap %v", err, errDown)
	}
	v.Run(t, flows.JobFinish, it.ID)
	wantOps(t, v.Sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	if got := v.Store.Get(t, it.ID); got.Status != flows.StatusDone || got.FinalMessageID != "om_post_2" {
		t.Errorf("after retry: %+v", got)
	}
}

// A cancel races a submit that saves first: the cancel answers with the
// submitted state and re-enqueues its finish; nothing is cancelled.
func TestCancelConflict(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	v.Store.BeforeUpdate = func(*flows.Interaction) {
		v.Store.Modify(t, it.ID, func(it *flows.Interaction) { it.Status = flows.StatusSubmitted })
	}
	wantToast(t, v.Click(t, it, userID, flows.ActionCancel, nil), flows.ToastInfo, "Already submitted")
	if got := v.Store.Get(t, it.ID).Status; got != flows.StatusSubmitted {
		t.Errorf("status = %s", got)
	}
	if jobs := v.Jobs.List(); jobs[len(jobs)-1] != (flowtest.Job{Kind: flows.JobFinish, ID: it.ID}) {
		t.Errorf("jobs = %v, want a finish last", jobs)
	}
}

// isPermanent reports what the job queue reads from an error: whether it
// (or an error it wraps) says, through Retryable, that retrying cannot help.
func isPermanent(err error) bool {
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && !r.Retryable()
}
