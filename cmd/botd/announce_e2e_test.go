package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// maxPerSecond is the most calls of calls that arrived within any one
// second, by the simulator's clock.
func maxPerSecond(calls []feishusim.Call) int {
	most := 0
	for i, c := range calls {
		n := 0
		for _, d := range calls[i:] {
			if d.Time.Sub(c.Time) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

var mentionRE = regexp.MustCompile(`<at id=(ou_[A-Za-z0-9_]+)></at>`)

// mentioned is the set of open_ids a card's content mentions, sorted.
func mentioned(content string) []string {
	set := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(readable(content), -1) {
		set[m[1]] = true
	}
	var out []string
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// /announce against the simulator, over real HTTP: alice (the chat's
// owner, so an admin) announces with acknowledgements and a deadline in a
// chat of 43 members; 30 of them click "Got it" at once. The card ends at
// one count of 30 of the 42 asked, updated in coalesced PATCHes, never
// more than 5 a second on that message (botd's own pacing is off here, so
// the bound is the flow's coalescing); at the deadline one nudge mentions
// exactly the 12 who did not click, and the card shows the final tally.
func TestAnnounceEndToEnd(t *testing.T) {
	w := newClockWorld(t, 1)
	var clickers, rest []string
	for i := range 40 {
		id := fmt.Sprintf("ou_member%02d", i)
		w.sim.AddUser(feishusim.User{OpenID: id, Name: fmt.Sprintf("Member %d", i)})
		if err := w.sim.AddMember(chatID, id); err != nil {
			t.Fatal(err)
		}
		if i < 30 {
			clickers = append(clickers, id)
		} else {
			rest = append(rest, id)
		}
	}
	rest = append(rest, bob, carol)
	sort.Strings(rest)

	w.sendText(t, alice, "/announce Office closed Friday")
	form := w.formFor(t, alice, 1)
	deadline := w.clock.Now().Add(2 * time.Hour).In(time.FixedZone("+0800", 8*3600)).Format("2006-01-02 15:04 -0700")
	values := map[string]any{"title": "Office closed Friday", "body": "Work from home. <at id=all></at>", "ack": "yes", "deadline": deadline}
	if a := w.click(t, alice, form.Card, "preview_btn", values); a.Card == nil || !strings.Contains(readable(string(a.Card.Data)), "&lt;at id=all&gt;") {
		t.Fatalf("preview: %+v", a)
	}
	if a := w.click(t, alice, form.Card, "submit_btn", values); a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit: %+v", a.Toast)
	}
	eventually(t, "the announcement card with its audience", func() bool {
		msgs := w.sim.Messages()
		return len(msgs) == 1 && strings.Contains(msgs[0].Content, "0 of 42 acknowledged")
	})
	card := w.sim.Messages()[0]
	if strings.Contains(readable(card.Content), "<at id=all>") {
		t.Fatal("the body mentions everyone")
	}
	value, ok := feishusim.ButtonValue(json.RawMessage(card.Content), "ack_btn")
	if !ok {
		t.Fatalf("no Got it button: %s", card.Content)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, who := range clickers {
		wg.Go(func() {
			<-start
			res, err := w.platform.ClickButton(context.Background(), feishusim.ActionOpts{
				OperatorOpenID: who, ChatID: chatID, Value: value, Name: "ack_btn", Tag: "button", Timezone: "Asia/Shanghai"})
			if err != nil || res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"success"`) {
				t.Errorf("%s's Got it: %v %d %s", who, err, res.Status, res.Body)
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	t.Logf("30 clicks answered in %v", time.Since(began))

	eventually(t, "the card to count 30", func() bool {
		return strings.Contains(w.sim.Messages()[0].Content, "30 of 42 acknowledged")
	})
	time.Sleep(2500 * time.Millisecond) // any update still waiting for its second
	if c := w.sim.Messages()[0].Content; !strings.Contains(c, "30 of 42 acknowledged") {
		t.Fatalf("the card moved off the final count: %s", c)
	}
	var patches []feishusim.Call
	for _, c := range w.calls("/open-apis/im/v1/messages/" + card.MessageID) {
		if c.Method == http.MethodPatch {
			patches = append(patches, c)
			if c.Code != 0 {
				t.Errorf("a PATCH was refused: %d %s", c.Code, c.Response)
			}
		}
	}
	most := maxPerSecond(patches)
	t.Logf("%d PATCHes of the card, at most %d within a second", len(patches), most)
	if most > 5 || len(patches) > 8 {
		t.Fatalf("%d PATCHes, %d within one second: want at most 5 a second, coalesced", len(patches), most)
	}

	w.advance(2*time.Hour + time.Minute)
	eventually(t, "the nudge and the final tally", func() bool {
		msgs := w.sim.Messages()
		return len(msgs) == 2 && strings.Contains(msgs[0].Content, "30 of 42 acknowledged") && strings.Contains(msgs[0].Content, "Closed")
	})
	nudge := w.sim.Messages()[1]
	if nudge.ChatID != chatID {
		t.Fatalf("nudge in %s", nudge.ChatID)
	}
	if got := mentioned(nudge.Content); !slices.Equal(got, rest) {
		t.Fatalf("the nudge mentions %v, want exactly %v", got, rest)
	}
	if c := w.sim.Messages()[0].Content; strings.Contains(c, "ack_btn") {
		t.Fatal("the closed card still has Got it")
	}
	settle()
	if n := len(w.sim.Messages()); n != 2 {
		t.Fatalf("%d messages, want the card and one nudge", n)
	}
}
