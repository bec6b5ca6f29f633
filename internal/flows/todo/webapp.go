package todo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/botd/botd/internal/flows"
)

// What the web app (internal/webapp) may do with todos: press the todo
// card's Mark done and Reopen (flows.WebActor), share the card
// (flows.Sharer, share.go), and find todos older than member indexes
// (flows.Reindexer).

var (
	_ flows.WebActor  = Flow{}
	_ flows.Sharer    = Flow{}
	_ flows.Reindexer = Flow{}
)

// RecordKind implements flows.Sharer and flows.Reindexer.
func (Flow) RecordKind() string { return kind }

// RecordIndexes implements flows.Reindexer.
func (Flow) RecordIndexes(data []byte) ([]flows.Index, error) {
	var t Todo
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode todo: %w", err)
	}
	return t.Indexes(), nil
}

// WebButton implements flows.WebActor: done is the card's Mark done,
// reopen its Reopen, whatever the todo's state (the route answers "Already
// done" itself).
func (Flow) WebButton(_ context.Context, _ flows.Host, id, action string) (map[string]any, *flows.Answer, error) {
	switch action {
	case flows.WebDone:
		return todoDoneButton.Value(id, nil), nil, nil
	case flows.WebReopen:
		return todoReopenButton.Value(id, nil), nil, nil
	}
	return nil, nil, fmt.Errorf("todo: action %q: %w", action, flows.ErrUnknownWebAction)
}

// WebActions lists what openID may do to t from the web app now: the
// button its card shows (Mark done while open, Reopen once done), if
// openID may press it (the assignee, the creator, an admin of its chat;
// isAdmin is asked only when the others do not decide). Membership of the
// chat is checked when a button is pressed, as on the card.
func WebActions(t *Todo, openID string, isAdmin func() bool) []string {
	if !mayChangeBy(t, openID, isAdmin) {
		return nil
	}
	if t.Status == Done {
		return []string{flows.WebReopen}
	}
	return []string{flows.WebDone}
}

// CardMessages implements flows.Sharer: the todo's group card.
func (Flow) CardMessages(ctx context.Context, h flows.Host, id string) ([]string, error) {
	t, err := todos(h).Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load todo: %w", err)
	}
	if t.MessageID == "" {
		return nil, nil
	}
	return []string{t.MessageID}, nil
}
