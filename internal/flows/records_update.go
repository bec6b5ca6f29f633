package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/botd/botd/internal/card"
)

// casUpdate applies change to cur and saves it with a compare-and-set, as
// Engine.update does for interactions: on ErrConflict it reloads and applies
// change again, so change decides from the state it is given and returns
// false when that state needs no change. The cur passed in must not be used
// afterwards; use the result.
func casUpdate[T any](ctx context.Context, cur *T, id string,
	load func(context.Context, string) (*T, error), save func(context.Context, *T) error,
	change func(*T) bool) (_ *T, changed bool, _ error) {
	for attempt := 1; ; attempt++ {
		if !change(cur) {
			return cur, false, nil
		}
		err := save(ctx, cur)
		if err == nil {
			return cur, true, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == casAttempts*4 {
			// More attempts than for an interaction: a todo card may be
			// clicked by several members at once.
			return nil, false, fmt.Errorf("update %s: %w", id, err)
		}
		if cur, err = load(ctx, id); err != nil {
			return nil, false, fmt.Errorf("reload %s: %w", id, err)
		}
	}
}

func (e *Engine) updateReminder(ctx context.Context, r *Reminder, change func(*Reminder) bool) (*Reminder, bool, error) {
	return casUpdate(ctx, r, r.ID, e.deps.Reminders.Reminder, e.deps.Reminders.UpdateReminder, change)
}

func (e *Engine) updateTodo(ctx context.Context, t *Todo, change func(*Todo) bool) (*Todo, bool, error) {
	return casUpdate(ctx, t, t.ID, e.deps.Todos.Todo, e.deps.Todos.UpdateTodo, change)
}

// A card job's id names what to render and the version of the record that
// asked for it ("td_x@7", "rm_x/1731654000000@4"): each change gets a job
// of its own. One id per record would be simpler, but a change that comes
// while that job is running would find its id taken, and be lost.
func cardJobID(target string, version int64) string {
	return target + "@" + strconv.FormatInt(version, 10)
}

func splitCardJobID(id string) (target string, ok bool) {
	i := strings.LastIndexByte(id, '@')
	if i <= 0 {
		return "", false
	}
	return id[:i], true
}

// syncRounds bounds the PATCH loop of syncCard; after that the job fails
// and is retried later, when the clicking has calmed down.
const syncRounds = 5

// rendered is a card and what it was rendered from.
type rendered struct {
	version   int64
	messageID string // "" when the card's message id is not known yet
	card      *card.Card
}

// syncCard writes the latest state of a record to its group card: it
// renders, PATCHes, and renders again until the record did not change in
// between, so the last PATCH of the last job always shows the latest state,
// whatever order concurrent jobs run in. Every viewer sees a PATCH; the
// answer to a click only changes the card for the clicker's client first.
func (e *Engine) syncCard(ctx context.Context, render func(context.Context) (rendered, error)) error {
	for range syncRounds {
		r, err := render(ctx)
		if err != nil {
			return err
		}
		if r.messageID == "" {
			return nil // not posted yet: AfterPost syncs it once it is
		}
		if err := e.deps.Sender.UpdateCard(ctx, r.messageID, r.card); err != nil {
			return fmt.Errorf("update card %s: %w", r.messageID, err)
		}
		again, err := render(ctx)
		if err != nil {
			return err
		}
		if again.version == r.version {
			return nil
		}
	}
	return errors.New("the record kept changing; retrying later")
}
