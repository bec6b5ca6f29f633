package proctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// flow is one member's /todo, from the command to the answer on its form.
type flow struct {
	chat, user string
	title      string // unique, so the test can tell which form is whose
	cancel     bool   // answer the form with Cancel instead of Submit

	// Set by the driver.
	eventID  string // of the command's delivery (and redeliveries)
	iid      string // the interaction, read from the form's buttons
	answered bool   // botd acknowledged the click with a toast that is not an error
}

// plan makes n flows spread over the world's chats and users; every
// cancelEvery-th one (if > 0) is cancelled rather than submitted.
func plan(w *world, prefix string, n, cancelEvery int) []*flow {
	flows := make([]*flow, n)
	for i := range flows {
		flows[i] = &flow{
			chat:   w.chats[i%len(w.chats)],
			user:   w.users[i%len(w.users)],
			title:  fmt.Sprintf("%s %03d", prefix, i),
			cancel: cancelEvery > 0 && i%cancelEvery == cancelEvery-1,
		}
	}
	return flows
}

func submitted(flows []*flow) (n int) {
	for _, f := range flows {
		if !f.cancel {
			n++
		}
	}
	return n
}

// driver plays the platform and the members. Senders deliver the flows'
// commands; a watcher looks for each flow's form in the simulator as it
// appears; clickers answer the forms. Like the platform, a sender redelivers
// an event (same event and message ids) until botd answers 200; like a
// member, a clicker clicks again (a new callback) until botd answers with a
// toast that is not an error. Both give up after patience.
type driver struct {
	sim      *feishusim.Server
	events   *feishusim.Platform // where commands are delivered
	clicks   *feishusim.Platform // where card callbacks are delivered
	senders  int
	clickers int
	gap      time.Duration // a sender pauses up to this long (at random) before each command
	think    time.Duration // a member takes up to this long (at random) to answer a form
	patience time.Duration

	redeliveries, reclicks atomic.Int64
}

// form is a flow's form as the member sees it.
type form struct {
	flow      *flow
	messageID string
	card      json.RawMessage
}

// run drives flows to the end and returns when every flow has been answered
// or given up on: ctx ends the wait for forms that do not appear. Failures
// are reported on t.
func (d *driver) run(ctx context.Context, t *testing.T, flows []*flow) {
	forms := make(chan form, len(flows))
	var wg sync.WaitGroup
	for s := range d.senders {
		wg.Go(func() {
			for i := s; i < len(flows); i += d.senders {
				if !sleep(ctx, randUpTo(d.gap)) {
					return
				}
				if err := d.command(ctx, flows[i]); err != nil {
					t.Errorf("%q: command not delivered: %v", flows[i].title, err)
				}
			}
		})
	}
	wg.Go(func() {
		defer close(forms)
		d.watch(ctx, t, flows, forms)
	})
	for range d.clickers {
		wg.Go(func() {
			for fm := range forms {
				sleep(ctx, randUpTo(d.think))
				if err := d.answer(ctx, fm); err != nil {
					t.Errorf("%q (%s): form not answered: %v", fm.flow.title, fm.flow.iid, err)
					continue
				}
				fm.flow.answered = true
			}
		})
	}
	wg.Wait()
}

// command delivers the flow's /todo.
func (d *driver) command(ctx context.Context, f *flow) error {
	f.eventID = randHex(16)
	opts := feishusim.MessageOpts{ChatID: f.chat, ChatType: "group", SenderOpenID: f.user,
		Text: "/todo " + f.title, EventID: f.eventID, MessageID: "om_" + randHex(12)}
	return d.retry(ctx, &d.redeliveries, func() error {
		res, err := d.events.SendText(ctx, opts)
		if err != nil {
			return err
		}
		if res.Status != http.StatusOK {
			return fmt.Errorf("answered %d: %s", res.Status, res.Body)
		}
		return nil
	})
}

// watch hands each flow's first form to the clickers as it appears, until
// every flow has one or ctx ends.
func (d *driver) watch(ctx context.Context, t *testing.T, flows []*flow, forms chan<- form) {
	byTitle := make(map[string]*flow, len(flows))
	for _, f := range flows {
		byTitle[f.title] = f
	}
	seen := map[string]bool{} // message ids of the forms looked at
	for waiting := len(flows); waiting > 0; {
		for _, e := range d.sim.Ephemerals() {
			if seen[e.MessageID] {
				continue
			}
			seen[e.MessageID] = true
			// Forms of no flow, and a flow's second form, are the checks' business.
			f := byTitle[inputDefault(e.Card, "title")]
			if f == nil || f.iid != "" {
				continue
			}
			f.iid = formIID(e.Card)
			waiting--
			forms <- form{flow: f, messageID: e.MessageID, card: e.Card}
		}
		if waiting > 0 && !sleep(ctx, 25*time.Millisecond) {
			var titles []string
			for _, f := range flows {
				if f.iid == "" {
					titles = append(titles, f.title)
				}
			}
			t.Errorf("%d commands never got a form: %s", len(titles), strings.Join(titles, ", "))
			return
		}
	}
}

// answer clicks Submit (with the title as the only value) or Cancel.
func (d *driver) answer(ctx context.Context, fm form) error {
	f := fm.flow
	button, values := "submit_btn", map[string]any{"title": f.title}
	if f.cancel {
		button, values = "cancel_btn", nil
	}
	value, ok := feishusim.ButtonValue(fm.card, button)
	if !ok {
		return fmt.Errorf("no button %s on the form: %s", button, fm.card)
	}
	return d.retry(ctx, &d.reclicks, func() error {
		res, err := d.clicks.ClickButton(ctx, feishusim.ActionOpts{OperatorOpenID: f.user, ChatID: f.chat,
			MessageID: fm.messageID, Value: value, FormValue: values, Name: button, Tag: "button"})
		if err != nil {
			return err
		}
		if res.Status != http.StatusOK {
			return fmt.Errorf("answered %d: %s", res.Status, res.Body)
		}
		var a struct {
			Toast *struct{ Type, Content string } `json:"toast"`
		}
		if err := json.Unmarshal(res.Body, &a); err != nil || a.Toast == nil {
			return fmt.Errorf("answer without a toast: %s", res.Body)
		}
		if a.Toast.Type == "error" {
			return fmt.Errorf("error toast %q", a.Toast.Content)
		}
		return nil
	})
}

// retry calls try until it succeeds, every 100 ms for at most d.patience,
// counting the attempts after the first in again.
func (d *driver) retry(ctx context.Context, again *atomic.Int64, try func() error) error {
	deadline := time.Now().Add(d.patience)
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %d attempts in %s: %w", attempt, d.patience, err)
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return fmt.Errorf("%w after %d attempts: %w", ctx.Err(), attempt, err)
		}
		again.Add(1)
	}
}

// formIID is the interaction id in a form's button values.
func formIID(card json.RawMessage) string {
	for _, b := range []string{"submit_btn", "cancel_btn"} {
		if v, ok := feishusim.ButtonValue(card, b); ok {
			if iid, _ := v["iid"].(string); iid != "" {
				return iid
			}
		}
	}
	return ""
}

// inputDefault is the default_value of the input named name anywhere in card
// (the todo form prefills its "title" input from the command).
func inputDefault(card json.RawMessage, name string) string {
	var v any
	if json.Unmarshal(card, &v) != nil {
		return ""
	}
	var find func(any) (string, bool)
	find = func(v any) (string, bool) {
		switch v := v.(type) {
		case map[string]any:
			if v["tag"] == "input" && v["name"] == name {
				s, _ := v["default_value"].(string)
				return s, true
			}
			for _, e := range v {
				if s, ok := find(e); ok {
					return s, true
				}
			}
		case []any:
			for _, e := range v {
				if s, ok := find(e); ok {
					return s, true
				}
			}
		}
		return "", false
	}
	s, _ := find(v)
	return s
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// randUpTo is a random duration in [0, d).
func randUpTo(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return mrand.N(d)
}

// randBetween is a random duration in [lo, hi).
func randBetween(lo, hi time.Duration) time.Duration { return lo + randUpTo(hi-lo) }
