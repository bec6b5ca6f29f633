package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// Every /todo botload sends carries a tag in its title ("load ingest r3
// #1234"). botd copies the title into the form and the final card, so the
// simulator's record says exactly which event produced which card: a lost
// or duplicated card is seen, not just a count that happens to add up.
var tagRE = regexp.MustCompile(`load ([a-z]+) r(\d+) #(\d+)`)

type tag struct {
	kind  string
	round int
}

func (t tag) title(i int) string { return fmt.Sprintf("load %s r%d #%d", t.kind, t.round, i) }

// index returns the event index in b tagged with t, or -1. It returns the
// first tag in b, which for botd's cards is the title.
func (t tag) index(b []byte) int {
	m := tagRE.FindSubmatch(b)
	if m == nil || string(m[1]) != t.kind || string(m[2]) != strconv.Itoa(t.round) {
		return -1
	}
	i, err := strconv.Atoi(string(m[3]))
	if err != nil {
		return -1
	}
	return i
}

// todoEvent prepares "/todo <title>" from the i-th member slot, spreading
// events over chats first and then users.
func (w *world) todoEvent(t tag, i int) (prepared, error) {
	chat, user := w.member(i, i/len(w.chatIDs))
	return w.prep.text(feishusim.MessageOpts{ChatID: chat, ChatType: "group", SenderOpenID: user,
		Text: "/todo " + t.title(i)})
}

// createForms sends n tagged /todo events (not measured) and waits until the
// simulator holds the form of every one; forms[i] is event i's form.
func createForms(ctx context.Context, w *world, s *sender, t tag, n int, limit time.Duration) ([]feishusim.Ephemeral, error) {
	reqs := make([]prepared, n)
	for i := range reqs {
		var err error
		if reqs[i], err = w.todoEvent(t, i); err != nil {
			return nil, err
		}
	}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if status, _, err := s.send(ctx, w.event, reqs[i], false); err != nil || status != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("create forms: %d of %d /todo events were not answered 200", f, n)
	}

	deadline := time.Now().Add(limit)
	for {
		forms := make([]feishusim.Ephemeral, n)
		found := 0
		for _, e := range w.sim.Ephemerals() {
			if i := t.index(e.Card); i >= 0 && i < n && forms[i].MessageID == "" {
				forms[i] = e
				found++
			}
		}
		if found == n {
			return forms, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("create forms: only %d of %d forms were sent within %v", found, n, limit)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
