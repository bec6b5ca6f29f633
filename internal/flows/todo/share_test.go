package todo

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

// The share cards are JSON 1.0, so their goldens live in testdata/share/,
// out of CheckGoldens' reach (it wants 2.0). Run with -update after a
// deliberate change.
func TestShareCardGoldens(t *testing.T) {
	for _, tc := range []struct {
		name, lang string
		done       bool
	}{
		{"todo_open_en", flows.LocaleEnUS, false},
		{"todo_open_zh", flows.LocaleZhCN, false},
		{"todo_done_en", flows.LocaleEnUS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newEnv(t)
			form := validForm()
			form["notes"] = "Semi-skimmed, 2 l.\n<at id=all></at> must stay text"
			it := v.Submit(t, "/todo Buy milk @_user_2", form)
			id := ID(it.ID)
			if tc.done {
				if ans, _ := v.E.PressWeb(context.Background(), "todo", id, flows.WebDone, bobID); ans.Toast.Type != flows.ToastSuccess {
					t.Fatalf("done: %+v", ans.Toast)
				}
			}
			c, err := v.E.ShareCard(context.Background(), "todo", id, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			checkShareCard(t, c)
			flowtest.CompareGolden(t, filepath.Join("testdata", "share", tc.name+".golden"), flowtest.MarshalIndent(t, c))
		})
	}
}

// checkShareCard checks c as tt.sendMessageCard's cardContent: botd's
// rules and the simulator's (the platform's documented ones), within 20 KB.
func checkShareCard(t *testing.T, c *card.V1) {
	t.Helper()
	content := card.NewContent1(c)
	if err := card.ValidateContent1(content); err != nil {
		t.Fatalf("invalid cardContent: %v", err)
	}
	raw, _ := json.Marshal(c)
	if problems := feishusim.ValidateCard(raw, false); len(problems) > 0 {
		t.Fatalf("the simulator refuses the card: %v", problems)
	}
	if strings.Contains(string(raw), `"schema"`) {
		t.Fatal("a share card with a schema key is not JSON 1.0")
	}
}

// The copy's buttons are the group card's: same values, for the todo open
// and done.
func TestShareCardButtonsAreTheCards(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	id := ID(it.ID)
	ctx := context.Background()
	group := v.Sender.Only(t, "post")[0].Card
	for _, step := range []struct {
		button string
		press  string
	}{{"todo_done_btn", flows.WebDone}, {"todo_reopen_btn", flows.WebReopen}} {
		c, err := v.E.ShareCard(ctx, "todo", id, flows.LocaleEnUS)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(c)
		got, ok := feishusim.ButtonValue(raw, step.button)
		if !ok {
			t.Fatalf("share card has no %s: %s", step.button, raw)
		}
		if want := flowtest.ButtonValue(t, group, step.button); !maps.Equal(got, want) {
			t.Fatalf("%s: copy's value %v, group card's %v", step.button, got, want)
		}
		ans, err := v.E.PressWeb(ctx, "todo", id, step.press, userID)
		if err != nil || ans.Toast.Type != flows.ToastSuccess {
			t.Fatalf("press %s: %+v %v", step.press, ans.Toast, err)
		}
		group = ans.Card
	}
}

// The longest todo the form accepts, in the characters that grow most when
// encoded (a control character is 6 bytes in JSON, "<" 6 bytes escaped),
// done by someone, with an assignee and a due date, stays a valid
// cardContent within 20 KB in every language.
func TestShareCardWorstCaseSize(t *testing.T) {
	for _, filler := range []string{"\x01", "<", "长", "😀", `"`} {
		td := &Todo{
			ID: "td_" + strings.Repeat("x", 26), Title: strings.Repeat(filler, todoTitleMax),
			Notes: strings.Repeat(filler, todoNotesMax), Assignee: bobID, Due: "2024-11-15",
			CreatorID: userID, Status: Done, ClosedBy: otherID, ClosedAt: testNow,
		}
		for _, lang := range flows.Locales {
			c := shareCard(td, time.UTC, lang)
			checkShareCard(t, c)
			n, _ := card.Content1Size(card.NewContent1(c))
			t.Logf("filler %q %s: %d bytes", filler, lang, n)
		}
	}
}
