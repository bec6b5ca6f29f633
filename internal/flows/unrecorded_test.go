package flows_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// memOutbox is an outbox in memory that can be read (flows.OutboxReader),
// as state.Store's is.
type memOutbox struct {
	mu sync.Mutex
	m  map[string]string // iid/effect -> "started" | "done:{result}"
}

func (o *memOutbox) Begin(_ context.Context, iid, effect string) (flows.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	prev := o.m[iid+"/"+effect]
	if r, ok := strings.CutPrefix(prev, "done:"); ok {
		return flows.OutboxEntry{State: flows.OutboxDone, Result: r}, nil
	}
	o.m[iid+"/"+effect] = "started"
	if prev != "" {
		return flows.OutboxEntry{State: flows.OutboxStarted}, nil
	}
	return flows.OutboxEntry{}, nil
}

func (o *memOutbox) Complete(_ context.Context, iid, effect, result string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[iid+"/"+effect] = "done:" + result
	return nil
}

func (o *memOutbox) Abort(_ context.Context, iid, effect string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, iid+"/"+effect)
	return nil
}

func (o *memOutbox) FlagIfStarted(_ context.Context, iid, effect string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[iid+"/"+effect] == "started", nil
}

func (o *memOutbox) Entry(_ context.Context, iid, effect string) (flows.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.m[iid+"/"+effect]
	if r, ok := strings.CutPrefix(v, "done:"); ok {
		return flows.OutboxEntry{State: flows.OutboxDone, Result: r}, nil
	}
	if v != "" {
		return flows.OutboxEntry{State: flows.OutboxStarted}, nil
	}
	return flows.OutboxEntry{}, nil
}

// A process that dies after its form send completed in the outbox and
// before the interaction recorded the form's id leaves the form on the
// member's screen. When the member then cancels, the cancel job finds the
// id in the outbox and deletes that form; before, it saw no form id and
// left the form visible for good ("one form left undeleted after a crash").
func TestFormSentByDeadRunIsDeleted(t *testing.T) {
	v := flowtest.New(t, bare{name: "demo"})
	ob := &memOutbox{m: map[string]string{}}
	v.Rebuild(t, func(d *flows.Deps) { d.Outbox = ob })
	ctx := context.Background()
	it := v.Start(t, "/demo")

	// The send_form run that died: the send and the outbox's record of it,
	// and nothing more.
	msgID, err := v.Sender.SendEphemeral(ctx, it.ChatID, it.UserID, card.New(card.Header{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Begin(ctx, it.ID, "send_form"); err != nil {
		t.Fatal(err)
	}
	if err := ob.Complete(ctx, it.ID, "send_form", msgID); err != nil {
		t.Fatal(err)
	}

	v.Click(t, it, it.UserID, flows.ActionCancel, nil)
	v.Drain(t) // the resumed send_form (sees the cancel), then cancel
	deletes := v.Sender.Only(t, "delete")
	if len(deletes) != 1 || deletes[0].ID != msgID {
		t.Fatalf("deletes %+v, want one of the form %s", deletes, msgID)
	}
	if sends := v.Sender.Only(t, "send"); len(sends) != 1 {
		t.Fatalf("%d forms sent, want 1", len(sends))
	}
}
