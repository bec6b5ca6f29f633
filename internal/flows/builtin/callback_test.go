package builtin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// A value botd did not make is refused with an error toast before anything
// is read or changed: no record load, no job, no card.
func TestMalformedCallbacksRefused(t *testing.T) {
	v := newEnv(t)
	todo := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	todoCard := v.Sender.Only(t, "post")[0].Card
	v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	v.Clock.Advance(30 * time.Minute)
	v.RunDue(t)
	fired := v.Sender.Only(t, "post")[2].Card

	with := func(c any, button string, edit func(map[string]any)) map[string]any {
		value := flowtest.ButtonValue(t, c, button)
		edit(value)
		return value
	}
	tests := []struct {
		name  string
		value map[string]any
	}{
		{"target a number", with(todoCard, "todo_done_btn", func(v map[string]any) { v["todo"] = 42 })},
		{"target missing", with(todoCard, "todo_done_btn", func(v map[string]any) { delete(v, "todo") })},
		{"target empty", with(todoCard, "todo_done_btn", func(v map[string]any) { v["todo"] = "" })},
		{"target too long", with(todoCard, "todo_done_btn", func(v map[string]any) { v["todo"] = "td_" + strings.Repeat("x", 10000) })},
		{"target not an id", with(todoCard, "todo_done_btn", func(v map[string]any) { v["todo"] = "td_1\n<at id=all></at>" })},
		{"target an object", with(todoCard, "todo_done_btn", func(v map[string]any) { v["todo"] = map[string]any{"id": "td_1"} })},
		{"unknown action", with(todoCard, "todo_done_btn", func(v map[string]any) { v["action"] = "todo_delete" })},
		{"action a number", with(todoCard, "todo_done_btn", func(v map[string]any) { v["action"] = 1 })},
		{"argument an object", with(fired, "remind_snooze10_btn", func(v map[string]any) { v["minutes"] = map[string]any{} })},
		{"argument a list", with(fired, "remind_done_btn", func(v map[string]any) { v["occurrence"] = []any{"1"} })},
		{"argument a fraction", with(fired, "remind_snooze10_btn", func(v map[string]any) { v["minutes"] = 10.5 })},
		{"argument too long", with(fired, "remind_done_btn", func(v map[string]any) { v["occurrence"] = strings.Repeat("1", 65) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads, jobs, before := v.Store.Reads(), len(v.Jobs.List()), todoOf(t, v, todo).Version
			ans := v.ClickAs(t, userID, chatID, tt.value)
			wantRefusal(t, tt.name, ans, flows.ToastError, flows.MsgUnknownAction)
			if v.Store.Reads() != reads+1 { // todoOf's own read
				t.Errorf("a malformed value read %d records", v.Store.Reads()-reads-1)
			}
			if len(v.Jobs.List()) != jobs || todoOf(t, v, todo).Version != before {
				t.Error("a malformed value changed something")
			}
		})
	}
}

// Arguments that older cards (or a JSON decoder) carry as numbers are read
// as their text: a snooze of 10 minutes sent as 10 still snoozes.
func TestCallbackNumbersReadAsText(t *testing.T) {
	v := newEnv(t)
	v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	v.Clock.Advance(30 * time.Minute)
	v.RunDue(t)
	value := flowtest.ButtonValue(t, v.Sender.Only(t, "post")[1].Card, "remind_snooze10_btn")
	value["minutes"] = float64(10)
	if ans := v.ClickAs(t, userID, chatID, value); ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("snooze with minutes as a number: %+v", ans.Toast)
	}
}

// previewFlow is a flow with a button of its own on its form.
type previewFlow struct{ clicks *[]flows.Click }

var previewButton = flows.CallbackSpec{Flow: "preview", Action: "preview", Target: flows.FormTarget}

func (previewFlow) Name() string                                       { return "preview" }
func (previewFlow) Describe(string) string                             { return "Preview" }
func (previewFlow) Start(*flows.Interaction, flows.Command, time.Time) {}
func (previewFlow) Form(it *flows.Interaction, _ flows.FieldErrors) *card.Card {
	return card.New(card.Header{}, card.Button{Name: "preview_btn", Text: card.Plain("Preview"),
		Behaviors: card.Callback(previewButton.Value(it.ID, nil))})
}
func (f previewFlow) Routes() []flows.Route {
	return []flows.Route{{Spec: previewButton, Handle: func(_ context.Context, _ flows.Host, c flows.Click) (flows.Answer, error) {
		*f.clicks = append(*f.clicks, c)
		return flows.Answer{Card: card.New(card.Header{}, card.PlainText("preview of "+c.Interaction.ID))}, nil
	}}}
}

// A flow's own button on its form reaches its route only from the form's
// owner, while the form is pending, with the interaction in hand.
func TestFormRoute(t *testing.T) {
	v := newEnv(t)
	var clicks []flows.Click
	v.E.Register(previewFlow{clicks: &clicks})
	it := v.Start(t, "/preview")
	value := flows.FormButtonValue(it, "preview")

	wantRefusal(t, "another member", v.ClickAs(t, otherID, chatID, value), flows.ToastError, flows.MsgNotYours)
	ans := v.ClickAs(t, userID, chatID, value)
	if len(clicks) != 1 || clicks[0].Interaction == nil || clicks[0].Interaction.ID != it.ID || clicks[0].OperatorID != userID ||
		!strings.Contains(flowtest.CardText(t, ans.Card), "preview of "+it.ID) {
		t.Fatalf("clicks %+v, answer %+v", clicks, ans)
	}
	v.Click(t, it, userID, flows.ActionCancel, nil)
	if ans := v.ClickAs(t, userID, chatID, value); len(clicks) != 1 || ans.Toast == nil || ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("a click on a cancelled form reached the route: %+v", ans.Toast)
	}
}

// Routes are checked when a flow registers: a wiring mistake panics.
func TestRegisterRoutesChecked(t *testing.T) {
	handle := func(context.Context, flows.Host, flows.Click) (flows.Answer, error) { return flows.Answer{}, nil }
	for name, routes := range map[string][]flows.Route{
		"another flow's name": {{Spec: flows.CallbackSpec{Flow: "todo", Action: "x", Target: "id"}, Handle: handle}},
		"no target key":       {{Spec: flows.CallbackSpec{Flow: "routed", Action: "x"}, Handle: handle}},
		"no handler":          {{Spec: flows.CallbackSpec{Flow: "routed", Action: "x", Target: "id"}}},
		"submit taken":        {{Spec: flows.CallbackSpec{Flow: "routed", Action: flows.ActionSubmit, Target: flows.FormTarget}, Handle: handle}},
		"twice": {{Spec: flows.CallbackSpec{Flow: "routed", Action: "x", Target: "id"}, Handle: handle},
			{Spec: flows.CallbackSpec{Flow: "routed", Action: "x", Target: "id"}, Handle: handle}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			newEnv(t).E.Register(routedFlow{routes})
		})
	}
}

type routedFlow struct{ routes []flows.Route }

func (routedFlow) Name() string                                       { return "routed" }
func (routedFlow) Describe(string) string                             { return "" }
func (routedFlow) Start(*flows.Interaction, flows.Command, time.Time) {}
func (routedFlow) Form(*flows.Interaction, flows.FieldErrors) *card.Card {
	return card.New(card.Header{})
}
func (f routedFlow) Routes() []flows.Route { return f.routes }
