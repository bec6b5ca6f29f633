package remind

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// The share cards are JSON 1.0: their goldens live in testdata/share/, out
// of CheckGoldens' reach (it wants 2.0). Run with -update after a
// deliberate change.
func TestShareCardGoldens(t *testing.T) {
	for _, tc := range []struct {
		name, lang string
		edit       func(map[string]any)
		then       func(t *testing.T, v *env, id string)
	}{
		{"remind_set_en", flows.LocaleEnUS, nil, nil},
		{"remind_daily_zh", flows.LocaleZhCN, func(f map[string]any) { f["repeat"] = "daily" }, func(t *testing.T, v *env, _ string) {
			v.Clock.Advance(30 * time.Minute)
			v.RunDue(t) // fired once: the next occurrence is tomorrow
		}},
		{"remind_group_en", flows.LocaleEnUS, func(f map[string]any) { f["notify"] = "group" }, nil},
		{"remind_cancelled_en", flows.LocaleEnUS, nil, func(t *testing.T, v *env, id string) {
			if ans, _ := v.E.PressWeb(context.Background(), "remind", id, flows.WebCancel, userID); ans.Toast.Type != flows.ToastSuccess {
				t.Fatalf("cancel: %+v", ans.Toast)
			}
		}},
		{"remind_sent_en", flows.LocaleEnUS, nil, func(t *testing.T, v *env, _ string) {
			v.Clock.Advance(30 * time.Minute)
			v.RunDue(t)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newEnv(t)
			form := remindForm("2024-11-14", "16:30")
			if tc.edit != nil {
				tc.edit(form)
			}
			id := ID(v.Submit(t, "/remind standup", form).ID)
			if tc.then != nil {
				tc.then(t, v, id)
			}
			c, err := v.E.ShareCard(context.Background(), "remind", id, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			checkShareCard(t, c)
			text := flowtest.CardText(t, c)
			if strings.Contains(text, "<at id=all>") {
				t.Error("a share card mentions everyone")
			}
			flowtest.CompareGolden(t, filepath.Join("testdata", "share", tc.name+".golden"), flowtest.MarshalIndent(t, c))
		})
	}
}

func checkShareCard(t *testing.T, c *card.V1) {
	t.Helper()
	if err := card.ValidateContent1(card.NewContent1(c)); err != nil {
		t.Fatalf("invalid cardContent: %v", err)
	}
	raw, _ := json.Marshal(c)
	if problems := feishusim.ValidateCard(raw, false); len(problems) > 0 {
		t.Fatalf("the simulator refuses the card: %v", problems)
	}
}

// The copy's Cancel reminder is the set card's.
func TestShareCardButtonIsTheSetCards(t *testing.T) {
	v := newEnv(t)
	id := ID(v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30")).ID)
	c, err := v.E.ShareCard(context.Background(), "remind", id, flows.LocaleEnUS)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(c)
	got, ok := feishusim.ButtonValue(raw, "remind_cancel_btn")
	want := flowtest.ButtonValue(t, v.Sender.Only(t, "post")[0].Card, "remind_cancel_btn")
	if !ok || !maps.Equal(got, want) {
		t.Fatalf("copy's cancel %v, set card's %v", got, want)
	}
}

// The longest reminder the form accepts, for the most people, in the
// characters that grow most when encoded, stays a valid cardContent
// within 20 KB in every language and state.
func TestShareCardWorstCaseSize(t *testing.T) {
	people := make([]string, remindPeopleMax)
	for i := range people {
		people[i] = "ou_" + strings.Repeat(string(rune('a'+i)), 32)
	}
	for _, filler := range []string{"\x01", "<", "长", "😀"} {
		for _, status := range []Status{Active, Cancelled, Done} {
			r := &Reminder{
				ID: "rm_" + strings.Repeat("x", 26), What: strings.Repeat(filler, remindWhatMax), CreatorID: userID,
				First: testNow, NextDue: testNow.Add(24 * time.Hour), Repeat: RepeatWeekdays, Notify: NotifyPeople, People: people,
				Status: status, CancelledBy: otherID, CancelledAt: testNow, LastFired: testNow,
			}
			for _, lang := range flows.Locales {
				c := shareCard(r, time.UTC, lang)
				checkShareCard(t, c)
				if n, _ := card.Content1Size(card.NewContent1(c)); n > card.MaxContent1Bytes/2 {
					t.Logf("filler %q %s %s: %d bytes", filler, status, lang, n)
				}
			}
		}
	}
}
