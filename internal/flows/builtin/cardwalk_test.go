package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// TestEveryCardInEveryLanguage walks every card the flows can produce —
// forms, hints, notices, lists, group cards in each state, reminders as
// they fire, due nudges, p2p forms and their closed form, failure notices —
// once with a Chinese-speaking member and once with an English one, and
// checks the language rules (docs/feishu-platform.md §8.4):
//
//   - a card the whole group sees carries every locale (config.locales and
//     i18n_content on each translated text) and the simulator accepts it
//     as a message;
//   - a card one member sees is in that member's language only, with no
//     local i18n, and the simulator accepts it as an ephemeral card;
//   - every toast carries every locale, its default in the member's.
func TestEveryCardInEveryLanguage(t *testing.T) {
	for _, locale := range flows.Locales {
		t.Run(locale, func(t *testing.T) {
			v := newEnv(t)
			v.Rebuild(t, func(d *flows.Deps) { d.DefaultLocale = locale })
			toasts := walkEveryCard(t, v)
			oneUser := map[string]bool{} // message ids of forms in ordinary messages
			var groupCards, memberCards int
			for _, c := range v.Sender.Calls() {
				raw, err := json.Marshal(c.Card)
				if err != nil {
					t.Fatalf("%s %s: %v", c.Op, c.ID, err)
				}
				switch {
				case c.Op == "delete":
				case c.Op == "send", c.Op == "dm", c.ChatID == p2pChatID, oneUser[c.ID]:
					if c.Op == "dm" || c.ChatID == p2pChatID {
						oneUser[c.ID] = true
					}
					checkOneMemberCard(t, c.Op+" "+c.ID, raw, locale)
					memberCards++
				default:
					checkGroupCard(t, c.Op+" "+c.ID, raw)
					groupCards++
				}
			}
			// The walk covers: 7 forms, hints and notices sent ephemerally,
			// 2 to the member directly, 2 in the p2p chat, 2 failure notices;
			// group posts and updates of todos, reminders and the nudge.
			if memberCards < 12 || groupCards < 8 {
				t.Errorf("walked %d one-member and %d group cards; the walk lost some", memberCards, groupCards)
			}
			t.Logf("%d one-member cards, %d group cards, %d answers", memberCards, groupCards, len(toasts))
			for _, ans := range toasts {
				if ans.Card != nil {
					raw, _ := json.Marshal(ans.Card)
					if strings.Contains(string(raw), `"locales"`) {
						checkGroupCard(t, "answer card", raw)
					} else {
						checkOneMemberCard(t, "answer card", raw, locale)
					}
				}
				if ans.Toast == nil {
					continue
				}
				tt := ans.Toast
				if tt.I18n[flows.LocaleEnUS] == "" || tt.I18n[flows.LocaleZhCN] == "" || tt.Content != tt.I18n[locale] {
					t.Errorf("toast %+v: want every locale, the default in %s", tt, locale)
				}
			}
		})
	}
}

// walkEveryCard drives v through every card, returning the callback answers.
func walkEveryCard(t *testing.T, v *env) []flows.Answer {
	t.Helper()
	var answers []flows.Answer
	keep := func(a flows.Answer) flows.Answer { answers = append(answers, a); return a }

	for _, text := range []string{"/help", "/foo", "/todo list"} {
		it := v.Start(t, text)
		v.Run(t, flows.JobSendForm, it.ID)
		keep(v.Click(t, it, userID, flows.ActionCancel, nil))
	}
	v.Rules["remind"] = flows.Rule{Members: []string{bobID}}
	v.Run(t, flows.JobSendForm, v.Start(t, "/remind x").ID) // the refusal notice
	delete(v.Rules, "remind")

	// A todo: errors shown on the form, then every state of its card.
	it := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, it.ID)
	keep(v.Click(t, it, userID, flows.ActionSubmit, map[string]any{"title": ""}))
	keep(v.Click(t, it, otherID, flows.ActionSubmit, validForm()))
	keep(v.Click(t, it, userID, flows.ActionSubmit, validForm()))
	v.Drain(t)
	todo := v.Sender.Only(t, "post")[0].Card
	done := keep(v.CardClick(t, bobID, todo, "todo_done_btn"))
	keep(v.CardClick(t, otherID, done.Card, "todo_reopen_btn"))
	keep(v.CardClick(t, bobID, done.Card, "todo_reopen_btn"))
	v.Drain(t)
	v.Run(t, flows.JobSendForm, v.Start(t, "/todo list").ID)

	// A reminder: set, fired, snoozed, done, cancelled.
	form := remindForm("2024-11-14", "16:30")
	form["repeat"] = "daily"
	v.Submit(t, "/remind standup", form)
	set := v.Sender.Only(t, "post")[1].Card
	v.Clock.Advance(31 * time.Minute)
	v.RunDue(t)
	posts := v.Sender.Only(t, "post")
	fired := posts[len(posts)-1].Card
	keep(v.CardClick(t, otherID, fired, "remind_snooze10_btn"))
	keep(v.CardClick(t, userID, fired, "remind_snooze10_btn"))
	keep(v.CardClick(t, userID, fired, "remind_done_btn"))
	keep(v.CardClick(t, userID, set, "remind_cancel_btn"))
	v.Drain(t)

	// The todo's due-date nudge (09:00 on its due date).
	v.Clock.Advance(24 * time.Hour)
	v.RunDue(t)

	// A p2p form and its closed form; a topic group's form to the member.
	m := flowtest.Message("/todo Buy milk")
	m.ChatType, m.ChatID = flows.ChatModeP2P, p2pChatID
	if err := v.E.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	jobs := v.Jobs.List()
	p2p := v.Store.Get(t, jobs[len(jobs)-1].ID)
	v.Drain(t)
	keep(v.Click(t, p2p, userID, flows.ActionCancel, nil))
	v.Drain(t)
	v.Chats.Set(chatID, &flows.ChatInfo{Mode: flows.ChatModeTopic, Status: "normal"})
	topic := v.Start(t, "/todo Buy milk")
	v.Drain(t)
	keep(v.Click(t, topic, userID, flows.ActionSubmit, validForm()))
	v.Drain(t)

	// Failure notices: a form that could not be shown, a card not posted.
	v.Chats.Set(chatID, &flows.ChatInfo{Mode: flows.ChatModeGroup, Status: "normal"})
	lost := v.Start(t, "/todo Buy milk")
	v.E.AbandonJob(context.Background(), flows.JobSendForm, lost.ID, errors.New("230002 bot not in chat"))
	failed := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, failed.ID)
	keep(v.Click(t, failed, userID, flows.ActionSubmit, validForm()))
	v.E.AbandonJob(context.Background(), flows.JobFinish, failed.ID, errors.New("230002 bot not in chat"))
	return answers
}

// checkGroupCard: every locale, and a valid message card.
func checkGroupCard(t *testing.T, what string, raw []byte) {
	t.Helper()
	if problems := feishusim.ValidateCard(raw, false); len(problems) > 0 {
		t.Errorf("%s: the simulator refuses it: %v", what, problems)
	}
	var c struct {
		Type   string `json:"type"`
		Config struct {
			Locales []string `json:"locales"`
		} `json:"config"`
		Header struct {
			Title struct {
				I18n map[string]string `json:"i18n_content"`
			} `json:"title"`
		} `json:"header"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Config.Locales, flows.Locales) {
		t.Errorf("%s: config.locales = %v, want %v: %s", what, c.Config.Locales, flows.Locales, raw)
	}
	for _, l := range flows.Locales {
		if !strings.Contains(string(raw), `"`+l+`":`) {
			t.Errorf("%s: no %s text: %s", what, l, raw)
		}
	}
	if c.Header.Title.I18n != nil && (c.Header.Title.I18n[flows.LocaleEnUS] == "" || c.Header.Title.I18n[flows.LocaleZhCN] == "") {
		t.Errorf("%s: header title i18n %v", what, c.Header.Title.I18n)
	}
}

// checkOneMemberCard: one language, the member's, and no local i18n.
func checkOneMemberCard(t *testing.T, what string, raw []byte, locale string) {
	t.Helper()
	if problems := feishusim.ValidateCard(raw, true); len(problems) > 0 {
		t.Errorf("%s: not acceptable as an ephemeral card: %v", what, problems)
	}
	han := strings.ContainsFunc(string(raw), func(r rune) bool { return unicode.Is(unicode.Han, r) })
	if han != (locale == flows.LocaleZhCN) {
		t.Errorf("%s: want %s only: %s", what, locale, raw)
	}
}
