package playground

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	alice    = "ou_alice"
	bob      = "ou_bob"
	carol    = "ou_carol"
	mainChat = "oc_playground"
)

func post(t *testing.T, srv *httptest.Server, path string, body any, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && json.Unmarshal(raw, out) != nil {
		t.Fatalf("%s answered %d, not JSON: %s", path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

func get(t *testing.T, srv *httptest.Server, path string, out any) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// waitView polls GET /api/state until cond holds or 10 s pass.
func waitView(t *testing.T, srv *httptest.Server, what string, cond func(View) bool) View {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v View
		get(t, srv, "/api/state", &v)
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; view: %+v", what, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cards(v View, member string) (ephemeral, group []Item) {
	for _, it := range v.Column(mainChat, member) {
		switch {
		case it.Kind != "card":
		case it.Ephemeral:
			ephemeral = append(ephemeral, it)
		default:
			group = append(group, it)
		}
	}
	return ephemeral, group
}

func send(t *testing.T, srv *httptest.Server, member, text string) {
	t.Helper()
	var d delivery
	if code := post(t, srv, "/api/send", sendRequest{Member: member, Text: text}, &d); code != http.StatusOK || d.Status != http.StatusOK {
		t.Fatalf("send: %d, botd answered %d %s", code, d.Status, d.Body)
	}
}

func field(name, tag, value string) formField {
	b, _ := json.Marshal(value)
	return formField{Name: name, Tag: tag, Value: b}
}

// formFor sends "/todo ..." as member and waits for their form.
func formFor(t *testing.T, srv *httptest.Server, member, text string) Item {
	t.Helper()
	send(t, srv, member, text)
	v := waitView(t, srv, "the form", func(v View) bool { e, _ := cards(v, member); return len(e) == 1 })
	e, _ := cards(v, member)
	return e[0]
}

// A member's command gives that member, and only them, the ephemeral form;
// the typed message itself is seen by everyone.
func TestSendShowsTheFormToTheSenderOnly(t *testing.T) {
	_, srv := testPlayground(t)
	form := formFor(t, srv, alice, "/todo Buy milk @Bob")
	if !strings.Contains(string(form.Card), "Buy milk") || !strings.Contains(string(form.Card), bob) {
		t.Errorf("form not prefilled from the command: %s", form.Card)
	}
	time.Sleep(300 * time.Millisecond) // anything misdirected would have arrived
	var v View
	get(t, srv, "/api/state", &v)
	for _, m := range []string{bob, carol} {
		if e, g := cards(v, m); len(e)+len(g) != 0 {
			t.Errorf("%s sees cards: %+v %+v", m, e, g)
		}
	}
	for _, m := range []string{alice, bob, carol} {
		items := v.Column(mainChat, m)
		if len(items) == 0 || items[0].Kind != "text" || items[0].Text != "/todo Buy milk @Bob" || items[0].From != alice {
			t.Errorf("%s does not see Alice's message first: %+v", m, items)
		}
	}
	// Another member cannot click a card they do not see.
	if code := post(t, srv, "/api/action", actionRequest{Member: bob, MessageID: form.ID, Button: "submit_btn"}, nil); code != http.StatusNotFound {
		t.Errorf("Bob clicking Alice's form: %d, want 404", code)
	}
}

// Submitting the form ends with the group card visible to all three and the
// form gone.
func TestSubmitShowsTheGroupCardToEveryone(t *testing.T) {
	_, srv := testPlayground(t)
	submitShowsTheGroupCard(t, srv)
}

func submitShowsTheGroupCard(t *testing.T, srv *httptest.Server) {
	t.Helper()
	form := formFor(t, srv, alice, "/todo Buy milk")
	tomorrow := time.Now().Add(48 * time.Hour).Format("2006-01-02")
	var ans actionResponse
	post(t, srv, "/api/action", actionRequest{Member: alice, MessageID: form.ID, Button: "submit_btn", Submit: true,
		Form: []formField{field("title", "input", "Buy milk"), field("assignee", "select_person", bob),
			field("due_date", "date_picker", tomorrow), field("notes", "input", "2 litres")}}, &ans)
	if ans.Status != http.StatusOK || ans.Toast == nil || ans.Toast.Type != "success" {
		t.Fatalf("submit answer: %+v", ans)
	}
	v := waitView(t, srv, "the group card and the form's deletion", func(v View) bool {
		for _, m := range []string{alice, bob, carol} {
			e, g := cards(v, m)
			if len(e) != 0 || len(g) != 1 {
				return false
			}
		}
		return true
	})
	for _, m := range []string{alice, bob, carol} {
		_, g := cards(v, m)
		for _, want := range []string{"Buy milk", "2 litres", bob} {
			if !strings.Contains(string(g[0].Card), want) {
				t.Errorf("%s's group card lacks %q: %s", m, want, g[0].Card)
			}
		}
	}
}

// A refused submit answers with a toast and a form with the errors, which
// replaces the card in the submitter's column only.
func TestValidationErrorReplacesTheFormInOneColumn(t *testing.T) {
	_, srv := testPlayground(t)
	validationErrorReplacesTheForm(t, srv)
}

func validationErrorReplacesTheForm(t *testing.T, srv *httptest.Server) {
	t.Helper()
	form := formFor(t, srv, carol, "/todo")
	var ans actionResponse
	post(t, srv, "/api/action", actionRequest{Member: carol, MessageID: form.ID, Button: "submit_btn", Submit: true,
		Form: []formField{field("title", "input", "   "), field("notes", "input", "keep me")}}, &ans)
	if ans.Toast == nil || ans.Toast.Type != "error" || !ans.Replaced {
		t.Fatalf("answer: %+v", ans)
	}
	var v View
	get(t, srv, "/api/state", &v)
	e, _ := cards(v, carol)
	if len(e) != 1 || !e[0].Replaced || !strings.Contains(string(e[0].Card), "keep me") {
		t.Fatalf("Carol's form was not replaced by the answer: %+v", e)
	}
}

func TestPreviewValidatesCards(t *testing.T) {
	_, srv := testPlayground(t)
	var bad validation
	post(t, srv, "/api/validate", map[string]any{"card": map[string]any{
		"schema": "2.0",
		"body": map[string]any{"elements": []any{
			map[string]any{"tag": "action", "actions": []any{}},
		}},
	}}, &bad)
	if len(bad.Group) == 0 || len(bad.Ephemeral) == 0 {
		t.Errorf("a 2.0 card with an action module passed: %+v", bad)
	}
	var notJSON validation
	post(t, srv, "/api/validate", map[string]any{"card": "{not json"}, &notJSON)
	if len(notJSON.Group) != 1 || !strings.Contains(notJSON.Group[0].Message, "not valid JSON") {
		t.Errorf("pasted text that is not JSON: %+v", notJSON)
	}
	var local validation
	post(t, srv, "/api/validate", map[string]any{"card": json.RawMessage(mustRead(t, "web/samples/json2-local-i18n-unknown-tag.json"))}, &local)
	if len(local.Ephemeral) == 0 {
		t.Errorf("local i18n passed as an ephemeral card: %+v", local)
	}

	var list struct{ Samples []Sample }
	get(t, srv, "/api/cards", &list)
	have := map[string]Sample{}
	for _, s := range list.Samples {
		have[s.ID] = s
	}
	for _, id := range []string{"todo_form_en_us", "todo_form_errors_en_us", "todo_final_en_us", "help_form_en_us", "help_unknown_en_us", "todo_form_zh_cn"} {
		s, ok := have[id]
		if !ok {
			t.Errorf("catalogue lacks %s", id)
			continue
		}
		var ok2 validation
		post(t, srv, "/api/validate", map[string]any{"card": s.Card}, &ok2)
		if problems := ok2.Group; s.Ephemeral {
			problems = ok2.Ephemeral
			if len(problems) > 0 {
				t.Errorf("%s is refused: %+v", id, problems)
			}
		} else if len(problems) > 0 {
			t.Errorf("%s is refused: %+v", id, problems)
		}
	}
	if !strings.Contains(string(have["todo_form_errors_en_us"].Card), "color='red'") {
		t.Errorf("form with errors shows no error: %s", have["todo_form_errors_en_us"].Card)
	}
}

func TestClockAdvances(t *testing.T) {
	_, srv := testPlayground(t)
	var c clockState
	if code := post(t, srv, "/api/clock", advanceRequest{By: "24h"}, &c); code != http.StatusOK || c.OffsetMS != (24*time.Hour).Milliseconds() {
		t.Fatalf("advance 24h: %d %+v", code, c)
	}
	to := time.Now().Add(49 * time.Hour).Truncate(time.Second)
	if code := post(t, srv, "/api/clock", advanceRequest{To: to.Format(time.RFC3339)}, &c); code != http.StatusOK {
		t.Fatalf("advance to: %d", code)
	}
	if d := c.Now.Sub(to); d < 0 || d > time.Second {
		t.Errorf("clock at %v, want %v", c.Now, to)
	}
	get(t, srv, "/api/clock", &c)
	if c.OffsetMS < (48 * time.Hour).Milliseconds() {
		t.Errorf("offset %d ms after two advances", c.OffsetMS)
	}
	for _, bad := range []advanceRequest{{By: "-1h"}, {By: "soon"}, {To: "2001-01-01T00:00:00Z"}, {}, {By: "1h", To: "x"}, {By: "9000h"}} {
		if code := post(t, srv, "/api/clock", bad, nil); code != http.StatusBadRequest {
			t.Errorf("%+v: %d, want 400", bad, code)
		}
	}
}

// The event stream starts with a reset, then the calls so far and the view.
func TestEventStream(t *testing.T) {
	_, srv := testPlayground(t)
	formFor(t, srv, bob, "/help")
	resp, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && !seen["event: state"] {
		if strings.HasPrefix(sc.Text(), "event: ") {
			if len(seen) == 0 && sc.Text() != "event: reset" {
				t.Errorf("first event %q", sc.Text())
			}
			seen[sc.Text()] = true
		}
	}
	if !seen["event: call"] || !seen["event: state"] {
		t.Errorf("events seen: %v", seen)
	}
}

func TestPageAndAssetsAreServed(t *testing.T) {
	_, srv := testPlayground(t)
	for path, want := range map[string]string{
		"/": "botd playground", "/preview": "card preview",
		"/static/render.js": "export function renderCard", "/static/style.css": ".card-header",
		"/static/calls.js": "export function retriedBy", "/static/favicon.svg": "<svg",
		"/static/clientsim.js": "window.h5sdk", "/static/webapp.js": "export async function openWebApp",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}
}

func TestMentionsBecomePlaceholders(t *testing.T) {
	s := &Server{world: DefaultWorld()}
	wire, ms := s.mentions("@botd /todo Buy milk @bob @nobody")
	if wire != "@_user_1 /todo Buy milk @_user_2 @nobody" {
		t.Errorf("wire text %q", wire)
	}
	if len(ms) != 2 || ms[0].OpenID != "ou_botd" || ms[1].OpenID != bob || ms[1].Key != "@_user_2" || ms[1].Name != "Bob" {
		t.Errorf("mentions %+v", ms)
	}
}

func TestFormValueCarriesTheMembersOffset(t *testing.T) {
	now := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
	list, _ := json.Marshal([]string{"a", "b"})
	fv, err := buildFormValue([]formField{
		field("d", "date_picker", "2030-01-31"), field("t", "picker_time", "09:30"),
		field("dt", "picker_datetime", "2030-07-01T08:05"), field("s", "select_static", "2"),
		field("empty", "input", ""), {Name: "m", Tag: "multi_select_static", Value: list},
		{Name: "c", Tag: "checker", Value: json.RawMessage("true")},
	}, "Europe/Berlin", now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"d": "2030-01-31 +0100", "t": "09:30 +0100", "dt": "2030-07-01 08:05 +0200", "s": "2",
		"m": []string{"a", "b"}, "c": true}
	got, _ := json.Marshal(fv)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("form_value %s, want %s", got, exp)
	}
	if _, err := buildFormValue([]formField{field("", "input", "x")}, "UTC", now); err == nil {
		t.Error("a field without a name was accepted")
	}
}
