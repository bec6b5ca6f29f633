package remind

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// TestRemindPrefill is the /remind parser table as the form sees it: what
// the command says prefills the form, what it does not is left to the user.
// testNow is Thursday 2024-11-14 16:00 in Shanghai, the default zone.
func TestRemindPrefill(t *testing.T) {
	tests := []struct {
		text                                     string
		what, date, time, repeat, notify, people string
	}{
		{"/remind tomorrow 9:00 standup", "standup", "2024-11-15", "09:00", "once", "sender", ""},
		{"/remind in 30m stretch", "stretch", "2024-11-14", "16:30", "once", "sender", ""},
		{"/remind in 30m to stretch", "stretch", "2024-11-14", "16:30", "once", "sender", ""},
		{"/remind 明天 9点 站会", "站会", "2024-11-15", "09:00", "once", "sender", ""},
		{"/remind 明天9点提醒我开会", "开会", "2024-11-15", "09:00", "once", "sender", ""},
		{"/remind fri 17:00 @_user_2 send report", "send report", "2024-11-15", "17:00", "once", "people", bobID},
		{"/remind @_user_2 fri 17:00 send report", "send report", "2024-11-15", "17:00", "once", "people", bobID},
		{"/remind 每天 9点 站会", "站会", "2024-11-15", "09:00", "daily", "sender", ""},
		{"/remind 工作日 9:30 站会", "站会", "2024-11-15", "09:30", "weekdays", "sender", ""},
		{"/remind every fri 17:00 retro", "retro", "2024-11-15", "17:00", "weekly", "sender", ""},
		{"/remind 每周一 10点 周会", "周会", "2024-11-18", "10:00", "weekly", "sender", ""},
		{"/remind daily 9am standup", "standup", "2024-11-15", "09:00", "daily", "sender", ""},
		// Nothing to read: the text is what, the user picks the time.
		{"/remind water the plants", "water the plants", "", "", "once", "sender", ""},
		{"/remind standup tomorrow", "standup tomorrow", "", "", "once", "sender", ""},
		{"/remind", "", "", "", "once", "sender", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			v := newEnv(t)
			it := v.Start(t, tt.text)
			f := it.Form
			got := []string{f[remindWhat], f[remindDate], f[remindTime], f[remindRepeat], f[remindNotify], f[remindPeople]}
			want := []string{tt.what, tt.date, tt.time, tt.repeat, tt.notify, tt.people}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("form = %q, want %q", got, want)
			}
		})
	}
}

func remindForm(date, clock string) map[string]any {
	return map[string]any{"what": "standup", "date": date + " +0800", "time": clock + " +0800", "repeat": "once", "notify": "sender"}
}

func TestRemindSubmitRefused(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"no text", func(f map[string]any) { f["what"] = "  " }, remindWhat},
		{"text too long", func(f map[string]any) { f["what"] = strings.Repeat("x", 201) }, remindWhat},
		{"date in the past", func(f map[string]any) { f["date"] = "2024-11-13 +0800" }, remindDate},
		{"time in the past", func(f map[string]any) { f["time"] = "15:00 +0800" }, remindTime},
		{"no date", func(f map[string]any) { delete(f, "date") }, remindDate},
		{"bad time", func(f map[string]any) { f["time"] = "25:99" }, remindTime},
		{"too far", func(f map[string]any) { f["date"] = "2026-01-01 +0800" }, remindDate},
		{"bad repeat", func(f map[string]any) { f["repeat"] = "hourly" }, remindRepeat},
		{"people, nobody", func(f map[string]any) { f["notify"] = "people" }, remindPeople},
		{"people, not ids", func(f map[string]any) { f["notify"] = "people"; f["people"] = []any{"bob"} }, remindPeople},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			it := v.Start(t, "/remind standup")
			form := remindForm("2024-11-14", "16:30")
			tt.edit(form)
			ans := v.Click(t, it, userID, flows.ActionSubmit, form)
			if ans.Toast == nil || ans.Toast.Type != flows.ToastError {
				t.Fatalf("toast = %+v, want an error", ans.Toast)
			}
			if !strings.Contains(flowtest.CardText(t, ans.Card), "<font color='red'>") {
				t.Errorf("the form again has no error line")
			}
			if got := v.Store.Get(t, it.ID); got.Status != flows.StatusPending {
				t.Errorf("status %s, want pending", got.Status)
			}
		})
	}
	// A time picked for "now" passes: the picker has minute precision.
	v := newEnv(t)
	it := v.Start(t, "/remind standup")
	if ans := v.Click(t, it, userID, flows.ActionSubmit, remindForm("2024-11-14", "16:00")); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("submit for now: %+v", ans.Toast)
	}
}

// A one-off reminder: the set card is posted, nothing fires early, it fires
// once at its time mentioning the sender, and then the set card says so.
func TestRemindFiresOnce(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/remind in 30m standup", remindForm("2024-11-14", "16:30"))
	posts := v.Sender.Only(t, "post")
	if len(posts) != 1 || !flowtest.HasButton(t, posts[0].Card, "remind_cancel_btn") {
		t.Fatalf("set card: %+v", posts)
	}
	v.Clock.Advance(29 * time.Minute)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 1 {
		t.Fatalf("%d posts before the due time", n)
	}
	v.Clock.Advance(time.Minute)
	v.RunDue(t)
	posts = v.Sender.Only(t, "post")
	if len(posts) != 2 {
		t.Fatalf("%d posts after the due time, want the set card and the reminder", len(posts))
	}
	fired := flowtest.CardText(t, posts[1].Card)
	for _, want := range []string{flows.AtMention(userID), "standup", "remind_done_btn", "remind_snooze10_btn", "remind_snooze60_btn"} {
		if !strings.Contains(fired, want) {
			t.Errorf("fired card lacks %q", want)
		}
	}
	if strings.Contains(fired, "Sent late") {
		t.Error("an on-time reminder is marked late")
	}
	r := reminderOf(t, v, it)
	if r.Status != Done || len(r.Posts) != 1 {
		t.Fatalf("after firing: status %s, posts %d", r.Status, len(r.Posts))
	}
	// The fire job again (a crash before the queue saw it finish): nothing.
	v.Run(t, JobFire, remindMember(r.ID, occurrenceKey(r.First, false)))
	v.Clock.Advance(24 * time.Hour)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 2 {
		t.Fatalf("%d posts, want 2", n)
	}
	updates := v.Sender.Only(t, "update")
	if len(updates) == 0 || !strings.Contains(flowtest.CardText(t, updates[len(updates)-1].Card), "Sent at") {
		t.Errorf("the set card was not updated to say it was sent: %d updates", len(updates))
	}
}

// A daily reminder while botd was down for three days fires once, late,
// and then keeps its 16:30 local time.
func TestRemindOutageFiresOnceLate(t *testing.T) {
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["repeat"] = "daily"
	it := v.Submit(t, "/remind standup", form)
	v.Clock.Advance(3*24*time.Hour + time.Hour)
	v.RunDue(t)
	posts := v.Sender.Only(t, "post")
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the set card and one late reminder", len(posts))
	}
	if !strings.Contains(flowtest.CardText(t, posts[1].Card), "Sent late") {
		t.Error("the late reminder is not marked late")
	}
	r := reminderOf(t, v, it)
	sh := mustZone(t, "Asia/Shanghai")
	if want := time.Date(2024, 11, 18, 16, 30, 0, 0, sh); !r.NextDue.Equal(want) || r.Status != Active {
		t.Fatalf("next due %s (%s), want %s", r.NextDue.In(sh), r.Status, want)
	}
	if n := len(v.Store.Due()); n != 1 {
		t.Fatalf("due set holds %d members, want the next occurrence only", n)
	}
	v.Clock.Advance(24 * time.Hour)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 3 {
		t.Fatalf("%d posts after the next day, want 3", n)
	}
}

// Cancel before the due time: the occurrence leaves the due set, nothing
// fires, the set card says who cancelled. Only the creator and admins may.
func TestRemindCancelBeforeFire(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	set := v.Sender.Only(t, "post")[0].Card

	ans := v.CardClick(t, otherID, set, "remind_cancel_btn")
	if ans.Toast == nil || ans.Toast.Type != flows.ToastError || reminderOf(t, v, it).Status != Active {
		t.Fatalf("a stranger's cancel: %+v, status %s", ans.Toast, reminderOf(t, v, it).Status)
	}
	ans = v.CardClick(t, userID, set, "remind_cancel_btn")
	if ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess || !strings.Contains(flowtest.CardText(t, ans.Card), "Cancelled by") {
		t.Fatalf("creator's cancel: %+v", ans)
	}
	if len(v.Store.Due()) != 0 {
		t.Errorf("due set still holds %v", v.Store.Due())
	}
	v.Drain(t)
	if u := v.Sender.Only(t, "update"); len(u) != 1 || flowtest.HasButton(t, u[0].Card, "remind_cancel_btn") {
		t.Errorf("set card not updated to cancelled: %d updates", len(u))
	}
	// Even if the occurrence had been queued already, it does not fire.
	r := reminderOf(t, v, it)
	v.Clock.Advance(time.Hour)
	v.Run(t, JobFire, remindMember(r.ID, occurrenceKey(r.First, false)))
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 1 {
		t.Fatalf("%d posts after cancel, want the set card only", n)
	}
	if again := v.CardClick(t, userID, set, "remind_cancel_btn"); again.Toast.Type != flows.ToastInfo {
		t.Errorf("second cancel: %+v", again.Toast)
	}
}

func TestRemindCancelByAdmin(t *testing.T) {
	v := newEnv(t)
	v.Admins[otherID] = true
	it := v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	ans := v.CardClick(t, otherID, v.Sender.Only(t, "post")[0].Card, "remind_cancel_btn")
	if ans.Toast.Type != flows.ToastSuccess || reminderOf(t, v, it).CancelledBy != otherID {
		t.Fatalf("admin cancel: %+v", ans.Toast)
	}
}

// Snooze posts the reminder again later as a one-off; the series goes on
// at its own time. Done stops a pending snooze. Strangers may do neither.
func TestRemindSnooze(t *testing.T) {
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["repeat"], form["notify"], form["people"] = "daily", "people", []any{bobID}
	it := v.Submit(t, "/remind standup", form)
	v.Clock.Advance(30 * time.Minute)
	v.RunDue(t)
	fired := v.Sender.Only(t, "post")[1].Card
	if !strings.Contains(flowtest.CardText(t, fired), flows.AtMention(bobID)) {
		t.Fatal("the reminder does not mention the people chosen")
	}
	if ans := v.CardClick(t, otherID, fired, "remind_snooze10_btn"); ans.Toast.Type != flows.ToastError {
		t.Fatalf("a stranger's snooze: %+v", ans.Toast)
	}
	ans := v.CardClick(t, bobID, fired, "remind_snooze10_btn")
	if ans.Toast.Type != flows.ToastSuccess || !strings.Contains(flowtest.CardText(t, ans.Card), "Snoozed") {
		t.Fatalf("snooze: %+v", ans)
	}
	r := reminderOf(t, v, it)
	sh := mustZone(t, "Asia/Shanghai")
	if want := time.Date(2024, 11, 15, 16, 30, 0, 0, sh); !r.NextDue.Equal(want) {
		t.Fatalf("snooze moved the series to %s", r.NextDue)
	}
	v.Clock.Advance(10 * time.Minute)
	v.RunDue(t)
	posts := v.Sender.Only(t, "post")
	if len(posts) != 3 || !strings.Contains(flowtest.CardText(t, posts[2].Card), "standup") {
		t.Fatalf("%d posts after the snooze, want 3", len(posts))
	}
	// Snooze the snoozed card, then Done: the second snooze never fires.
	v.CardClick(t, bobID, posts[2].Card, "remind_snooze60_btn")
	if ans := v.CardClick(t, userID, posts[2].Card, "remind_done_btn"); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("done: %+v", ans.Toast)
	}
	v.Clock.Advance(time.Hour)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 3 {
		t.Fatalf("%d posts: a snooze cancelled by Done fired", n)
	}
	if again := v.CardClick(t, bobID, posts[2].Card, "remind_done_btn"); again.Toast.Type != flows.ToastInfo {
		t.Errorf("second done: %+v", again.Toast)
	}
}

// A crash between the post and its record: the retried job posts with the
// same uuid, so the group sees one reminder, and records it.
func TestRemindRetryAfterRecordFailure(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	v.Clock.Advance(30 * time.Minute)
	members := v.Store.TakeDue(v.Clock.Now())
	if len(members) != 1 {
		t.Fatalf("due: %v", members)
	}
	v.Store.FailRecord = errors.New("redis gone")
	if err := v.E.RunJob(context.Background(), JobFire, members[0]); err == nil {
		t.Fatal("the run whose record failed reported success")
	}
	v.Run(t, JobFire, members[0])
	posts := v.Sender.Only(t, "post")
	if len(posts) != 2 || posts[1].UUID != fireUUID(ID(it.ID), occurrenceKey(reminderOf(t, v, it).First, false)) {
		t.Fatalf("posts: %+v", posts)
	}
	if r := reminderOf(t, v, it); r.Status != Done {
		t.Fatalf("status %s", r.Status)
	}
}

func TestEnqueueDueUnknownMember(t *testing.T) {
	v := newEnv(t)
	err := v.E.EnqueueDue(context.Background(), "nobody:1")
	var r interface{ Retryable() bool }
	if !errors.As(err, &r) || r.Retryable() {
		t.Fatalf("EnqueueDue(unknown) = %v, want a permanent error", err)
	}
}
