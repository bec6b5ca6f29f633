package builtin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/flows/remind"
)

// Open ids are opaque (platformid): a member whose open_id has '_' or '-'
// after the prefix can be picked as a todo's assignee and among a
// reminder's people, is mentioned on the cards and may press their buttons.
func TestOpaqueOpenIDsEndToEnd(t *testing.T) {
	for _, id := range []string{"ou_ab_cd", "ou_ab-cd"} {
		t.Run(id, func(t *testing.T) {
			v := newEnv(t)
			form := validForm()
			form["assignee"] = id
			it := v.Submit(t, "/todo Buy milk", form)
			td := todoOf(t, v, it)
			if td.Assignee != id {
				t.Fatalf("assignee %q, want %q", td.Assignee, id)
			}
			c := v.Sender.Only(t, "post")[0].Card
			if !strings.Contains(flowtest.CardText(t, c), flows.AtMention(id)) {
				t.Errorf("the todo card does not mention %s", id)
			}
			if ans := v.CardClick(t, id, c, "todo_done_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
				t.Errorf("the assignee's Mark done: %+v", ans.Toast)
			}

			v = newEnv(t)
			rf := remindForm("2024-11-14", "16:30")
			rf["notify"], rf["people"] = "people", []any{id, bobID}
			it = v.Submit(t, "/remind standup", rf)
			if r := reminderOf(t, v, it); !slices.Equal(r.People, []string{id, bobID}) {
				t.Fatalf("people %q", r.People)
			}
			v.Clock.Advance(30 * time.Minute)
			v.RunDue(t)
			fired := v.Sender.Only(t, "post")[1].Card
			if !strings.Contains(flowtest.CardText(t, fired), flows.AtMention(id)) {
				t.Errorf("the reminder does not mention %s", id)
			}
			if ans := v.CardClick(t, id, fired, "remind_done_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
				t.Errorf("Done by one of the people: %+v", ans.Toast)
			}
		})
	}
}

// A mention in the command prefills the form with its open_id when it is
// one, and is dropped when it is not: it never reaches a form or a card.
func TestCommandMentionsAreOpenIDs(t *testing.T) {
	mentions := []flows.Mention{
		{Key: "@_user_1", OpenID: botID},
		{Key: "@_user_2", OpenID: "ou_ab_cd", Name: "Ann"},
		{Key: "@_user_3", OpenID: `ou_a"b`, Name: "Eve"},
		{Key: "@_user_4", OpenID: "all", Name: "all"},
	}
	cmd, ok := flows.ParseCommand("@_user_1 /remind standup @_user_3 @_user_4 @_user_2", mentions, botID)
	if !ok || cmd.Args != "standup" || len(cmd.People) != 1 || cmd.People[0].OpenID != "ou_ab_cd" {
		t.Fatalf("got %+v, %v; want remind with people [ou_ab_cd]", cmd, ok)
	}

	v := newEnv(t)
	m := flowtest.Message("/todo Buy milk @_user_3 @_user_2")
	m.Mentions = mentions
	if err := v.E.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	it := v.Store.Get(t, v.Jobs.List()[0].ID)
	if it.Form[todoAssignee] != "ou_ab_cd" {
		t.Errorf("assignee prefill %q, want ou_ab_cd", it.Form[todoAssignee])
	}
}

// TestFormBounds is every refusal of an out-of-bounds form value: each is
// refused under the field it concerns, in both languages, and changes
// nothing. Each one was accepted before the bounds were added.
func TestFormBounds(t *testing.T) {
	ids := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("ou_p%d", i)
		}
		return out
	}
	tests := []struct {
		name   string
		flow   string         // "todo" or "remind"
		form   map[string]any // over validForm or remindForm
		field  string         // "" when accepted
		en, zh string
	}{
		// testNow is 2024-11-14 in Shanghai: a year and a day later is 2025-11-15.
		{name: "todo due a year and a day ahead", flow: "todo", form: map[string]any{"due_date": "2025-11-15 +0800"}},
		{name: "todo due a year and two days ahead", flow: "todo", form: map[string]any{"due_date": "2025-11-16 +0800"},
			field: todoDue, en: "Due date is more than a year ahead", zh: "截止日期不能晚于一年以后"},
		{name: "todo due in the year 9999", flow: "todo", form: map[string]any{"due_date": "9999-12-31"},
			field: todoDue, en: "Due date is more than a year ahead", zh: "截止日期不能晚于一年以后"},
		{name: "todo due as two dates", flow: "todo", form: map[string]any{"due_date": []any{"2024-11-15 +0800", "2024-11-16 +0800"}},
			field: todoDue, en: "Due date is not a valid date", zh: "截止日期无效"},
		{name: "todo assignee as two people", flow: "todo", form: map[string]any{"assignee": []any{bobID, otherID}},
			field: todoAssignee, en: "Assignee is not a valid member", zh: "负责人无效"},
		{name: "todo title as an object", flow: "todo", form: map[string]any{"title": map[string]any{"a": "b"}},
			field: todoTitle, en: "Title is required", zh: "请填写标题"},
		{name: "todo notes as an object", flow: "todo", form: map[string]any{"notes": map[string]any{"a": "b"}},
			field: todoNotes, en: "Notes are not valid text", zh: "备注无效"},
		{name: "todo notes as two strings", flow: "todo", form: map[string]any{"notes": []any{"a", "b"}},
			field: todoNotes, en: "Notes are not valid text", zh: "备注无效"},

		{name: "reminder in the year 9999", flow: "remind", form: map[string]any{"date": "9999-12-31 +0800"},
			field: remindDate, en: "Date is more than a year ahead", zh: "日期不能晚于一年以后"},
		{name: "reminder a year and a day ahead", flow: "remind", form: map[string]any{"date": "2025-11-15 +0800", "time": "16:00 +0800"}},
		{name: "reminder a year and a day and a minute ahead", flow: "remind", form: map[string]any{"date": "2025-11-15 +0800", "time": "16:01 +0800"},
			field: remindDate, en: "Date is more than a year ahead", zh: "日期不能晚于一年以后"},
		{name: "repeat as two choices", flow: "remind", form: map[string]any{"repeat": []any{"daily", "weekly"}},
			field: remindRepeat, en: "Pick how it repeats", zh: "请选择重复方式"},
		{name: "notify as two choices", flow: "remind", form: map[string]any{"notify": []any{"group", "people"}},
			field: remindNotify, en: "Pick who is reminded", zh: "请选择提醒对象"},
		{name: "people with a non-string", flow: "remind", form: map[string]any{"notify": "people", "people": []any{bobID, 5.0}},
			field: remindPeople, en: "People to remind: one is not a valid member", zh: "提醒对象中有无效的成员"},
		{name: "people as an object", flow: "remind", form: map[string]any{"notify": "people", "people": map[string]any{"id": bobID}},
			field: remindPeople, en: "People to remind: one is not a valid member", zh: "提醒对象中有无效的成员"},
		{name: "people with a quote", flow: "remind", form: map[string]any{"notify": "people", "people": []any{`ou_a"b`}},
			field: remindPeople, en: "People to remind: one is not a valid member", zh: "提醒对象中有无效的成员"},
		{name: "twenty-one people", flow: "remind", form: map[string]any{"notify": "people", "people": ids(21)},
			field: remindPeople, en: "At most 20 people", zh: "最多 20 人"},
		{name: "twenty people", flow: "remind", form: map[string]any{"notify": "people", "people": ids(20)}},
		{name: "one person twenty-one times", flow: "remind", form: map[string]any{"notify": "people", "people": slices.Repeat([]any{bobID}, 21)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			// With a prefill, so an unreadable picker value cannot pass
			// as "left empty, keep the prefill".
			form := validForm()
			it := v.Start(t, "/todo Buy milk @_user_2")
			if tt.flow == "remind" {
				form = remindForm("2024-11-14", "16:30")
				it = v.Start(t, "/remind standup @_user_2")
			}
			maps.Copy(form, tt.form)

			// The flow's own verdict: exactly the field named.
			sub := flowNamed(t, tt.flow).(flows.Submitter)
			_, errs := sub.Submit(it, flows.Submission{Values: form, Now: testNow, Zone: mustZone(t, "Asia/Shanghai")})
			var want []string
			if tt.field != "" {
				want = []string{tt.field}
			}
			if got := errs.Fields(); !slices.Equal(got, want) {
				t.Fatalf("refused fields %q, want %q", got, want)
			}

			ans := v.Click(t, it, userID, flows.ActionSubmit, form)
			if tt.field == "" {
				if ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
					t.Fatalf("refused: %+v", ans.Toast)
				}
				return
			}
			wantToast(t, ans, flows.ToastError, tt.en)
			if got := ans.Toast.I18n[flows.LocaleZhCN]; got != tt.zh {
				t.Errorf("zh_cn toast %q, want %q", got, tt.zh)
			}
			if !strings.Contains(flowtest.CardText(t, ans.Card), "<font color='red'>"+tt.en+"</font>") {
				t.Errorf("the form again has no red line %q", tt.en)
			}
			if got := v.Store.Get(t, it.ID); got.Status != flows.StatusPending || got.Version != 1 {
				t.Errorf("a refused submit changed the interaction: %+v", got)
			}
		})
	}
}

// People are read, checked and kept only when the reminder is for the
// people chosen: otherwise whatever the picker holds (here more than the
// cap, and not ids) and the command's mentions are ignored, not stored.
func TestRemindPeopleOnlyWhenChosen(t *testing.T) {
	many := make([]any, 500)
	for i := range many {
		many[i] = fmt.Sprintf("not an id %d", i)
	}
	for _, notify := range []string{"sender", "group"} {
		for _, people := range []any{nil, many} {
			v := newEnv(t)
			form := remindForm("2024-11-14", "16:30")
			form["notify"] = notify
			if people != nil {
				form["people"] = people
			}
			it := v.Submit(t, "/remind standup @_user_2", form)
			if p, ok := it.Form[remindPeople]; ok {
				t.Errorf("notify %s: people stored: %.40q", notify, p)
			}
			if r := reminderOf(t, v, it); r.People != nil || r.Notify != remind.Notify(notify) {
				t.Errorf("notify %s: reminder has %d people, notify %s", notify, len(r.People), r.Notify)
			}
		}
	}
	// Chosen people, repeated: each once.
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["notify"], form["people"] = "people", []any{bobID, " " + bobID, otherID, bobID}
	it := v.Submit(t, "/remind standup", form)
	if r := reminderOf(t, v, it); !slices.Equal(r.People, []string{bobID, otherID}) {
		t.Errorf("people %q, want Bob and Other once each", r.People)
	}
}

// A todo due today, and a reminder for now, are still accepted; the day
// before is still refused.
func TestFormBoundsKeepToday(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	form := validForm()
	form["due_date"] = "2024-11-14 +0800"
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, form), flows.ToastSuccess, "Todo created")

	it = v.Start(t, "/todo Buy milk")
	form["due_date"] = "2024-11-13 +0800"
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, form), flows.ToastError, "Due date is in the past")

	it = v.Start(t, "/remind standup")
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, remindForm("2024-11-14", "16:00")), flows.ToastSuccess, "Reminder set")
	it = v.Start(t, "/remind standup")
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, remindForm("2024-11-13", "17:00")), flows.ToastError, "Date is in the past")
}
