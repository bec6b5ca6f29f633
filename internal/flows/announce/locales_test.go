package announce

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
)

// Every card of an announcement's life, with a Chinese-speaking author and
// an English one (as builtin's TestEveryCardInEveryLanguage does for the
// other flows, whose walk lists its flows by hand): the cards the group sees
// carry every locale and the simulator accepts them as messages; the cards
// the author alone sees (the form, the preview) are in the author's
// language only and acceptable as ephemeral cards; toasts carry both.
func TestEveryCardInEveryLanguage(t *testing.T) {
	for _, locale := range flows.Locales {
		t.Run(locale, func(t *testing.T) {
			v, members := newEnv(t)
			v.Rebuild(t, func(d *flows.Deps) { d.DefaultLocale, d.Members = locale, members })
			it := v.Start(t, "/announce Office closed Friday")
			v.Drain(t)
			answers := []flows.Answer{v.Click(t, it, creator, actionPreview, validForm(deadlineIn(time.Hour)))}
			answers = append(answers, v.Click(t, it, creator, flows.ActionSubmit, validForm(deadlineIn(time.Hour))))
			v.Drain(t)
			group := v.Sender.Only(t, "post")[0].Card
			answers = append(answers, v.CardClick(t, bob, group, "ack_btn"), v.CardClick(t, bob, group, "ack_btn"))
			v.Drain(t)
			v.Clock.Advance(2 * time.Hour)
			v.RunDue(t)
			answers = append(answers, v.CardClick(t, bob, group, "announce_cancel_btn"))

			var groupCards, memberCards int
			for _, c := range v.Sender.Calls() {
				raw, err := json.Marshal(c.Card)
				if err != nil {
					t.Fatal(err)
				}
				switch c.Op {
				case "send":
					checkMemberCard(t, c.Op+" "+c.ID, raw, locale)
					memberCards++
				case "post", "update":
					checkGroupCard(t, c.Op+" "+c.ID, raw)
					groupCards++
				}
			}
			if memberCards != 1 || groupCards < 5 { // form; card, nudge, audience, count, tally
				t.Errorf("walked %d private and %d group cards", memberCards, groupCards)
			}
			for i, ans := range answers {
				if ans.Card != nil {
					raw, _ := json.Marshal(ans.Card)
					if i == 0 {
						checkMemberCard(t, "preview", raw, locale)
					} else {
						checkGroupCard(t, "answer", raw)
					}
				}
				if tt := ans.Toast; tt == nil || tt.I18n[flows.LocaleEnUS] == "" || tt.I18n[flows.LocaleZhCN] == "" || tt.Content != tt.I18n[locale] {
					t.Errorf("answer %d: toast %+v, want every locale, the default in %s", i, ans.Toast, locale)
				}
			}
		})
	}
}

func checkGroupCard(t *testing.T, what string, raw []byte) {
	t.Helper()
	if problems := feishusim.ValidateCard(raw, false); len(problems) > 0 {
		t.Errorf("%s: the simulator refuses it: %v", what, problems)
	}
	var c struct {
		Config struct {
			Locales []string `json:"locales"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Config.Locales, flows.Locales) {
		t.Errorf("%s: config.locales = %v, want %v", what, c.Config.Locales, flows.Locales)
	}
	for _, l := range flows.Locales {
		if !strings.Contains(string(raw), `"`+l+`":`) {
			t.Errorf("%s: no %s text: %s", what, l, raw)
		}
	}
}

func checkMemberCard(t *testing.T, what string, raw []byte, locale string) {
	t.Helper()
	if problems := feishusim.ValidateCard(raw, true); len(problems) > 0 {
		t.Errorf("%s: not acceptable as an ephemeral card: %v", what, problems)
	}
	han := strings.ContainsFunc(string(raw), func(r rune) bool { return unicode.Is(unicode.Han, r) })
	if han != (locale == flows.LocaleZhCN) {
		t.Errorf("%s: want %s only: %s", what, locale, raw)
	}
}
