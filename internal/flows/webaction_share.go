package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/platformid"
)

// A member may share a record's card to other chats from the web app: the
// client sends it (tt.sendMessageCard, docs/feishu-platform.md §13.3), as a
// JSON 1.0 card whose buttons carry the very values of the group card's.
// A click on such a copy reaches HandleAction like any click, is routed by
// its value, and is answered like a click on the group card, but with the
// record's 1.0 card (Sharer.ShareCard) instead of its 2.0 one: a 1.0 card
// must not be swapped for a 2.0 one (the reverse is refused outright,
// client error 200830, §9.3). The engine tells the copies from the group
// card by the message ids the web app records (ShareStore).
//
// botd does not PATCH the copies when the record changes: the message ids
// come from the member's browser and cannot be checked, so a PATCH would
// let a member have botd overwrite any card botd can edit (another
// record's group card) with theirs. A copy shows the record's state when
// it was sent, and its current state from the first click on it.

// Share is a copy of a record's card a member sent to a chat from the web
// app, as the client reported it.
type Share struct {
	MessageID string    `json:"-"`    // the copy's message (om_...)
	ChatID    string    `json:"chat"` // the chat it went to (oc_...)
	Lang      string    `json:"lang"` // the card's language: LocaleEnUS or LocaleZhCN
	By        string    `json:"by"`   // open_id of the member who shared it
	At        time.Time `json:"at"`
}

// MaxShares bounds the copies kept per record: the oldest are forgotten
// first (a click on a forgotten copy is answered with the toast alone; the
// card job never touches copies anyway).
const MaxShares = 50

// ShareStore keeps the copies of records' cards (state.Store).
type ShareStore interface {
	// AddShares records shares of the record kind/id, keeping the newest
	// MaxShares; a message already recorded is left as it was.
	AddShares(ctx context.Context, kind, id string, shares []Share) error
	// Share returns the copy of kind/id in messageID, if it is one.
	Share(ctx context.Context, kind, id, messageID string) (Share, bool, error)
}

// ErrNoShareStore is returned by RecordShares when the engine was built
// without a ShareStore.
var ErrNoShareStore = errors.New("no share store configured")

// noShares is the default ShareStore: nothing is a copy.
type noShares struct{}

func (noShares) AddShares(context.Context, string, string, []Share) error { return ErrNoShareStore }
func (noShares) Share(context.Context, string, string, string) (Share, bool, error) {
	return Share{}, false, nil
}

// Sharer is a flow whose records can be shared from the web app.
type Sharer interface {
	Flow
	// RecordKind is the store's kind of the records it shares.
	RecordKind() string
	// ShareCard renders record id as it now stands as a JSON 1.0 card in
	// lang (a Locale), its buttons carrying the values of the group
	// card's. Errors wrap ErrNotFound when the record is gone.
	ShareCard(ctx context.Context, h Host, id, lang string) (*card.V1, error)
	// CardMessages lists the messages botd itself posted for record id
	// (its group card, a reminder's fired cards): never a copy.
	CardMessages(ctx context.Context, h Host, id string) ([]string, error)
}

// ShareCard is flowName's record id as a card to share, in lang, checked
// against the rules of JSON 1.0 cards (card.Validate1). Errors wrap
// ErrUnknownWebAction when the flow shares nothing, ErrNotFound when the
// record is gone.
func (e *Engine) ShareCard(ctx context.Context, flowName, id, lang string) (*card.V1, error) {
	f, ok := e.flows[flowName].(Sharer)
	if !ok {
		return nil, fmt.Errorf("flows: flow %q shares nothing: %w", flowName, ErrUnknownWebAction)
	}
	c, err := f.ShareCard(ctx, e, id, lang)
	if err != nil {
		return nil, fmt.Errorf("flows: share card of %s %s: %w", flowName, id, err)
	}
	if err := card.Validate1(c); err != nil {
		return nil, fmt.Errorf("flows: share card of %s %s: %w", flowName, id, err)
	}
	return c, nil
}

// RecordShares records copies of flowName's record id that a member sent.
// Entries with a malformed message or chat id, an unknown language, or the
// id of a message botd posted itself for the record are skipped; the
// count of those recorded is returned.
func (e *Engine) RecordShares(ctx context.Context, flowName, id string, shares []Share) (int, error) {
	f, ok := e.flows[flowName].(Sharer)
	if !ok {
		return 0, fmt.Errorf("flows: flow %q shares nothing: %w", flowName, ErrUnknownWebAction)
	}
	own, err := f.CardMessages(ctx, e, id)
	if err != nil {
		return 0, fmt.Errorf("flows: shares of %s %s: %w", flowName, id, err)
	}
	log := e.log.With(zap.String("flow", flowName), zap.String("record_id", id))
	var keep []Share
	for _, s := range shares {
		switch {
		case !platformid.IsMessageID(s.MessageID) || !platformid.IsChatID(s.ChatID) || !platformid.IsOpenID(s.By):
			log.Info("share not recorded: malformed id", zap.String("message_id", s.MessageID), zap.String("chat_id", s.ChatID))
		case !slices.Contains(Locales, s.Lang):
			log.Info("share not recorded: unknown language", zap.String("lang", s.Lang))
		case slices.Contains(own, s.MessageID):
			log.Warn("share not recorded: it is a message botd posted for the record", zap.String("message_id", s.MessageID))
		case slices.ContainsFunc(keep, func(k Share) bool { return k.MessageID == s.MessageID }):
		default:
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return 0, nil
	}
	if err := e.deps.Shares.AddShares(ctx, f.RecordKind(), id, keep); err != nil {
		return 0, fmt.Errorf("flows: shares of %s %s: %w", flowName, id, err)
	}
	for _, s := range keep {
		log.Info("shared card recorded", zap.String("message_id", s.MessageID), zap.String("chat_id", s.ChatID),
			zap.String("open_id", s.By))
	}
	return len(keep), nil
}

// answerOnShare swaps the card of an answer to a click on a record's
// button for the record's shared (JSON 1.0) card when the message clicked
// is a copy a member shared. When that cannot be told, the answer keeps
// its toast alone: a 2.0 card must not land on a 1.0 copy, and the group
// card is updated by its card job anyway.
func (e *Engine) answerOnShare(ctx context.Context, a Action, flowName, target string, ans Answer, log *zap.Logger) Answer {
	if ans.Card == nil || a.MessageID == "" {
		return ans
	}
	f, ok := e.flows[flowName].(Sharer)
	if !ok {
		return ans
	}
	s, found, err := e.deps.Shares.Share(ctx, f.RecordKind(), target, a.MessageID)
	if err != nil {
		log.Warn("cannot tell whether the card clicked is a shared copy; answering with the toast alone", zap.Error(err))
		ans.Card = nil
		return ans
	}
	if !found {
		return ans
	}
	c, err := e.ShareCard(ctx, flowName, target, s.Lang)
	if err != nil {
		log.Warn("cannot render the shared card; answering with the toast alone", zap.Error(err))
		ans.Card = nil
		return ans
	}
	log.Debug("click on a shared copy: answered with its JSON 1.0 card", zap.String("message_id", a.MessageID))
	ans.Card = c
	return ans
}
