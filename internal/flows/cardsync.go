package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/botd/botd/internal/card"
)

// CardJobID is the id of a job that syncs a record's card: what to render
// and the version of the record that asked for it ("td_x@7",
// "rm_x/1731654000000@4"), so each change gets a job of its own. One id
// per record would be simpler, but a change that comes while that job is
// running would find its id taken, and be lost.
func CardJobID(target string, version int64) string {
	return target + "@" + strconv.FormatInt(version, 10)
}

// SplitCardJobID returns what a CardJobID names.
func SplitCardJobID(id string) (target string, ok bool) {
	i := strings.LastIndexByte(id, '@')
	if i <= 0 {
		return "", false
	}
	return id[:i], true
}

// syncRounds bounds the PATCH loop of SyncCard; after that the job fails
// and is retried later, when the clicking has calmed down.
const syncRounds = 5

// Rendered is a record's card and what it was rendered from.
type Rendered struct {
	Version   int64      // the record's version
	MessageID string     // the card's message; "" when not known yet
	Card      *card.Card // the card as the record now stands
}

// SyncCard writes the latest state of a record to its group card: it
// renders, PATCHes, and renders again until the record did not change in
// between, so the last PATCH of the last job always shows the latest state,
// whatever order concurrent jobs run in. Every viewer sees a PATCH; the
// answer to a click only changes the card for the clicker's client first.
func SyncCard(ctx context.Context, h Host, render func(context.Context) (Rendered, error)) error {
	for range syncRounds {
		r, err := render(ctx)
		if err != nil {
			return err
		}
		if r.MessageID == "" {
			return nil // not posted yet: AfterPost syncs it once it is
		}
		if err := h.UpdateCard(ctx, r.MessageID, r.Card); err != nil {
			return fmt.Errorf("update card %s: %w", r.MessageID, err)
		}
		again, err := render(ctx)
		if err != nil {
			return err
		}
		if again.Version == r.Version {
			return nil
		}
	}
	return errors.New("the record kept changing; retrying later")
}
