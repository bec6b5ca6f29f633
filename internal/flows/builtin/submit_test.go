package builtin

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/botd/botd/internal/flows"
)

func TestSubmitValidation(t *testing.T) {
	long := strings.Repeat("长", 201)
	tests := []struct {
		name     string
		form     map[string]any // over validForm
		timezone string         // of the callback; validForm's default is Asia/Shanghai
		want     string         // the toast; "" for a valid submit
		wantZh   string
		stored   map[string]string // the values stored (valid) or shown again (invalid)
	}{
		{name: "valid", stored: map[string]string{"title": "Buy milk", "due_date": "2024-11-15", "assignee": bobID}},
		{name: "title trimmed", form: map[string]any{"title": "  Buy milk \n"},
			stored: map[string]string{"title": "Buy milk", "due_date": "2024-11-15", "assignee": bobID}},
		{name: "title missing", form: map[string]any{"title": nil}, want: "Title is required", wantZh: "请填写标题",
			stored: map[string]string{"due_date": "2024-11-15", "assignee": bobID}},
		{name: "title blank", form: map[string]any{"title": " \u3000 "}, want: "Title is required"},
		{name: "title too long", form: map[string]any{"title": long}, want: "Title is too long (at most 200 characters)"},
		{name: "title of 200 runes", form: map[string]any{"title": long[len("长"):]}},
		{name: "due date yesterday", form: map[string]any{"due_date": "2024-11-13 +0800"}, want: "Due date is in the past", wantZh: "截止日期已过",
			stored: map[string]string{"title": "Buy milk", "due_date": "2024-11-13", "assignee": bobID}},
		{name: "due date today", form: map[string]any{"due_date": "2024-11-14 +0800"}},
		{name: "due date garbled", form: map[string]any{"due_date": "next week"}, want: "Due date is not a valid date"},
		{name: "no due date", form: map[string]any{"due_date": ""},
			stored: map[string]string{"title": "Buy milk", "assignee": bobID}},
		// 08:00 UTC is still the 13th in Honolulu: the callback's zone decides...
		{name: "callback zone wins", form: map[string]any{"due_date": "2024-11-13 -1000"}, timezone: "Pacific/Honolulu"},
		{name: "callback zone wins over offset", form: map[string]any{"due_date": "2024-11-13 -1000"}, want: "Due date is in the past"},
		// ...then the offset in the value, then the default zone.
		{name: "offset without callback zone", form: map[string]any{"due_date": "2024-11-13 -1000"}, timezone: "-"},
		{name: "default zone", form: map[string]any{"due_date": "2024-11-13"}, timezone: "-", want: "Due date is in the past"},
		{name: "notes too long", form: map[string]any{"notes": strings.Repeat("n", 1001)}, want: "Notes are too long (at most 1000 characters)"},
		{name: "notes of 1000", form: map[string]any{"notes": strings.Repeat("n", 1000)}},
		{name: "assignee not an open_id", form: map[string]any{"assignee": "bob"}, want: "Assignee is not a valid member"},
		{name: "assignee as an array", form: map[string]any{"assignee": []any{otherID}},
			stored: map[string]string{"title": "Buy milk", "due_date": "2024-11-15", "assignee": otherID}},
		{name: "assignee left empty keeps the prefill", form: map[string]any{"assignee": ""},
			stored: map[string]string{"title": "Buy milk", "due_date": "2024-11-15", "assignee": bobID}},
		{name: "every field wrong", form: map[string]any{"title": "", "assignee": "x", "due_date": "2020-01-01 +0800", "notes": strings.Repeat("n", 1001)},
			want:   "Title is required; Assignee is not a valid member; Due date is in the past; Notes are too long (at most 1000 characters)",
			wantZh: "请填写标题；负责人无效；截止日期已过；备注过长（最多 1000 个字）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			it := v.Start(t, "/todo Buy milk @_user_2")
			form := validForm()
			maps.Copy(form, tt.form)
			a := flows.Action{OperatorID: userID, Timezone: "Asia/Shanghai", FormValue: form,
				Value: map[string]any{"flow": "todo", "action": "submit", "iid": it.ID}}
			switch tt.timezone {
			case "-":
				a.Timezone = ""
			case "":
			default:
				a.Timezone = tt.timezone
			}
			ans, err := v.E.HandleAction(context.Background(), a)
			if err != nil {
				t.Fatalf("HandleAction: %v", err)
			}
			got := v.Store.Get(t, it.ID)
			if tt.want == "" {
				wantToast(t, ans, flows.ToastSuccess, "Todo created")
				if got.Status != flows.StatusSubmitted {
					t.Fatalf("status = %s", got.Status)
				}
				if tt.stored != nil && !maps.Equal(got.Form, tt.stored) {
					t.Errorf("stored %v, want %v", got.Form, tt.stored)
				}
				return
			}

			wantToast(t, ans, flows.ToastError, tt.want)
			if tt.wantZh != "" && ans.Toast.I18n[flows.LocaleZhCN] != tt.wantZh {
				t.Errorf("zh_cn toast = %q, want %q", ans.Toast.I18n[flows.LocaleZhCN], tt.wantZh)
			}
			if got.Status != flows.StatusPending || got.Version != 1 || len(v.Jobs.List()) != 1 {
				t.Errorf("a refused submit changed something: %+v, jobs %v", got, v.Jobs.List())
			}
			// The form again: each error in red under its field, the values kept.
			b, err := json.Marshal(ans.Card)
			if err != nil || ans.Card == nil {
				t.Fatalf("card %v, %v", ans.Card, err)
			}
			c := string(b)
			for _, msg := range strings.Split(tt.want, "; ") {
				if !strings.Contains(c, "\\u003cfont color='red'\\u003e"+jsonText(msg)+"\\u003c/font\\u003e") {
					t.Errorf("card has no red line %q:\n%s", msg, c)
				}
			}
			if tt.stored != nil {
				for k, want := range tt.stored {
					if !strings.Contains(c, jsonText(want)) {
						t.Errorf("card lost %s = %q:\n%s", k, want, c)
					}
				}
			}
		})
	}
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// Legacy callbacks cannot take a JSON 2.0 card: the toast alone answers.
func TestSubmitValidationLegacy(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	ans, err := v.E.HandleAction(context.Background(), flows.Action{Legacy: true, OperatorID: userID,
		FormValue: map[string]any{"title": ""}, Value: map[string]any{"flow": "todo", "action": "submit", "iid": it.ID}})
	if err != nil {
		t.Fatal(err)
	}
	wantToast(t, ans, flows.ToastError, "Title is required")
	if ans.Card != nil {
		t.Errorf("legacy answer has a card")
	}
}
