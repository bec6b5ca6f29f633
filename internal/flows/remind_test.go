package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
			it := v.start(t, tt.text)
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
			it := v.start(t, "/remind standup")
			form := remindForm("2024-11-14", "16:30")
			tt.edit(form)
			ans := v.click(t, it, userID, ActionSubmit, form)
			if ans.Toast == nil || ans.Toast.Type != ToastError {
				t.Fatalf("toast = %+v, want an error", ans.Toast)
			}
			if !strings.Contains(cardText(t, ans.Card), "<font color='red'>") {
				t.Errorf("the form again has no error line")
			}
			if got := v.store.get(t, it.ID); got.Status != StatusPending {
				t.Errorf("status %s, want pending", got.Status)
			}
		})
	}
	// A time picked for "now" passes: the picker has minute precision.
	v := newEnv(t)
	it := v.start(t, "/remind standup")
	if ans := v.click(t, it, userID, ActionSubmit, remindForm("2024-11-14", "16:00")); ans.Toast.Type != ToastSuccess {
		t.Fatalf("submit for now: %+v", ans.Toast)
	}
}

// reminderOf returns the reminder an interaction created.
func (v *env) reminderOf(t *testing.T, it *Interaction) *Reminder {
	t.Helper()
	r, err := v.store.Reminder(context.Background(), reminderID(it.ID))
	if err != nil {
		t.Fatalf("reminder of %s: %v", it.ID, err)
	}
	return r
}

// A one-off reminder: the set card is posted, nothing fires early, it fires
// once at its time mentioning the sender, and then the set card says so.
func TestRemindFiresOnce(t *testing.T) {
	v := newEnv(t)
	it := v.submit(t, "/remind in 30m standup", remindForm("2024-11-14", "16:30"))
	posts := v.sender.only(t, "post")
	if len(posts) != 1 || !hasButton(t, posts[0].Card, "remind_cancel_btn") {
		t.Fatalf("set card: %+v", posts)
	}
	v.clock.Advance(29 * time.Minute)
	v.runDue(t)
	if n := len(v.sender.only(t, "post")); n != 1 {
		t.Fatalf("%d posts before the due time", n)
	}
	v.clock.Advance(time.Minute)
	v.runDue(t)
	posts = v.sender.only(t, "post")
	if len(posts) != 2 {
		t.Fatalf("%d posts after the due time, want the set card and the reminder", len(posts))
	}
	fired := cardText(t, posts[1].Card)
	for _, want := range []string{mention(userID), "standup", "remind_done_btn", "remind_snooze10_btn", "remind_snooze60_btn"} {
		if !strings.Contains(fired, want) {
			t.Errorf("fired card lacks %q", want)
		}
	}
	if strings.Contains(fired, "Sent late") {
		t.Error("an on-time reminder is marked late")
	}
	r := v.reminderOf(t, it)
	if r.Status != ReminderDone || len(r.Posts) != 1 {
		t.Fatalf("after firing: status %s, posts %d", r.Status, len(r.Posts))
	}
	// The fire job again (a crash before the queue saw it finish): nothing.
	v.run(t, JobRemindFire, remindMember(r.ID, occurrenceKey(r.First, false)))
	v.clock.Advance(24 * time.Hour)
	v.runDue(t)
	if n := len(v.sender.only(t, "post")); n != 2 {
		t.Fatalf("%d posts, want 2", n)
	}
	updates := v.sender.only(t, "update")
	if len(updates) == 0 || !strings.Contains(cardText(t, updates[len(updates)-1].Card), "Sent at") {
		t.Errorf("the set card was not updated to say it was sent: %d updates", len(updates))
	}
}

// A daily reminder while botd was down for three days fires once, late,
// and then keeps its 16:30 local time.
func TestRemindOutageFiresOnceLate(t *testing.T) {
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["repeat"] = "daily"
	it := v.submit(t, "/remind standup", form)
	v.clock.Advance(3*24*time.Hour + time.Hour)
	v.runDue(t)
	posts := v.sender.only(t, "post")
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the set card and one late reminder", len(posts))
	}
	if !strings.Contains(cardText(t, posts[1].Card), "Sent late") {
		t.Error("the late reminder is not marked late")
	}
	r := v.reminderOf(t, it)
	sh := mustZone(t, "Asia/Shanghai")
	if want := time.Date(2024, 11, 18, 16, 30, 0, 0, sh); !r.NextDue.Equal(want) || r.Status != ReminderActive {
		t.Fatalf("next due %s (%s), want %s", r.NextDue.In(sh), r.Status, want)
	}
	if n := len(v.store.due); n != 1 {
		t.Fatalf("due set holds %d members, want the next occurrence only", n)
	}
	v.clock.Advance(24 * time.Hour)
	v.runDue(t)
	if n := len(v.sender.only(t, "post")); n != 3 {
		t.Fatalf("%d posts after the next day, want 3", n)
	}
}

// Cancel before the due time: the occurrence leaves the due set, nothing
// fires, the set card says who cancelled. Only the creator and admins may.
func TestRemindCancelBeforeFire(t *testing.T) {
	v := newEnv(t)
	it := v.submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	set := v.sender.only(t, "post")[0].Card

	ans := v.cardClick(t, otherID, set, "remind_cancel_btn")
	if ans.Toast == nil || ans.Toast.Type != ToastError || v.reminderOf(t, it).Status != ReminderActive {
		t.Fatalf("a stranger's cancel: %+v, status %s", ans.Toast, v.reminderOf(t, it).Status)
	}
	ans = v.cardClick(t, userID, set, "remind_cancel_btn")
	if ans.Toast == nil || ans.Toast.Type != ToastSuccess || !strings.Contains(cardText(t, ans.Card), "Cancelled by") {
		t.Fatalf("creator's cancel: %+v", ans)
	}
	if len(v.store.due) != 0 {
		t.Errorf("due set still holds %v", v.store.due)
	}
	v.drain(t)
	if u := v.sender.only(t, "update"); len(u) != 1 || hasButton(t, u[0].Card, "remind_cancel_btn") {
		t.Errorf("set card not updated to cancelled: %d updates", len(u))
	}
	// Even if the occurrence had been queued already, it does not fire.
	r := v.reminderOf(t, it)
	v.clock.Advance(time.Hour)
	v.run(t, JobRemindFire, remindMember(r.ID, occurrenceKey(r.First, false)))
	v.runDue(t)
	if n := len(v.sender.only(t, "post")); n != 1 {
		t.Fatalf("%d posts after cancel, want the set card only", n)
	}
	if again := v.cardClick(t, userID, set, "remind_cancel_btn"); again.Toast.Type != ToastInfo {
		t.Errorf("second cancel: %+v", again.Toast)
	}
}

func TestRemindCancelByAdmin(t *testing.T) {
	v := newEnv(t)
	v.admins[otherID] = true
	it := v.submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	ans := v.cardClick(t, otherID, v.sender.only(t, "post")[0].Card, "remind_cancel_btn")
	if ans.Toast.Type != ToastSuccess || v.reminderOf(t, it).CancelledBy != otherID {
		t.Fatalf("admin cancel: %+v", ans.Toast)
	}
}

// Snooze posts the reminder again later as a one-off; the series goes on
// at its own time. Done stops a pending snooze. Strangers may do neither.
func TestRemindSnooze(t *testing.T) {
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["repeat"], form["notify"], form["people"] = "daily", "people", []any{bobID}
	it := v.submit(t, "/remind standup", form)
	v.clock.Advance(30 * time.Minute)
	v.runDue(t)
	fired := v.sender.only(t, "post")[1].Card
	if !strings.Contains(cardText(t, fired), mention(bobID)) {
		t.Fatal("the reminder does not mention the people chosen")
	}
	if ans := v.cardClick(t, otherID, fired, "remind_snooze10_btn"); ans.Toast.Type != ToastError {
		t.Fatalf("a stranger's snooze: %+v", ans.Toast)
	}
	ans := v.cardClick(t, bobID, fired, "remind_snooze10_btn")
	if ans.Toast.Type != ToastSuccess || !strings.Contains(cardText(t, ans.Card), "Snoozed") {
		t.Fatalf("snooze: %+v", ans)
	}
	r := v.reminderOf(t, it)
	sh := mustZone(t, "Asia/Shanghai")
	if want := time.Date(2024, 11, 15, 16, 30, 0, 0, sh); !r.NextDue.Equal(want) {
		t.Fatalf("snooze moved the series to %s", r.NextDue)
	}
	v.clock.Advance(10 * time.Minute)
	v.runDue(t)
	posts := v.sender.only(t, "post")
	if len(posts) != 3 || !strings.Contains(cardText(t, posts[2].Card), "standup") {
		t.Fatalf("%d posts after the snooze, want 3", len(posts))
	}
	// Snooze the snoozed card, then Done: the second snooze never fires.
	v.cardClick(t, bobID, posts[2].Card, "remind_snooze60_btn")
	if ans := v.cardClick(t, userID, posts[2].Card, "remind_done_btn"); ans.Toast.Type != ToastSuccess {
		t.Fatalf("done: %+v", ans.Toast)
	}
	v.clock.Advance(time.Hour)
	v.runDue(t)
	if n := len(v.sender.only(t, "post")); n != 3 {
		t.Fatalf("%d posts: a snooze cancelled by Done fired", n)
	}
	if again := v.cardClick(t, bobID, posts[2].Card, "remind_done_btn"); again.Toast.Type != ToastInfo {
		t.Errorf("second done: %+v", again.Toast)
	}
}

// A crash between the post and its record: the retried job posts with the
// same uuid, so the group sees one reminder, and records it.
func TestRemindRetryAfterRecordFailure(t *testing.T) {
	v := newEnv(t)
	it := v.submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	v.clock.Advance(30 * time.Minute)
	members := v.store.takeDue(v.clock.Now())
	if len(members) != 1 {
		t.Fatalf("due: %v", members)
	}
	v.store.failRecord = errors.New("redis gone")
	if err := v.e.RunJob(context.Background(), JobRemindFire, members[0]); err == nil {
		t.Fatal("the run whose record failed reported success")
	}
	v.run(t, JobRemindFire, members[0])
	posts := v.sender.only(t, "post")
	if len(posts) != 2 || posts[1].UUID != fireUUID(reminderID(it.ID), occurrenceKey(v.reminderOf(t, it).First, false)) {
		t.Fatalf("posts: %+v", posts)
	}
	if r := v.reminderOf(t, it); r.Status != ReminderDone {
		t.Fatalf("status %s", r.Status)
	}
}

func TestEnqueueDueUnknownMember(t *testing.T) {
	v := newEnv(t)
	err := v.e.EnqueueDue(context.Background(), "nobody:1")
	var r interface{ Retryable() bool }
	if !errors.As(err, &r) || r.Retryable() {
		t.Fatalf("EnqueueDue(unknown) = %v, want a permanent error", err)
	}
}
