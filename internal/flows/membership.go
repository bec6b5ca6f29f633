package flows

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/platformid"
)

// MemberSource tells whether someone is a member of a chat, from the
// platform's member list (cached by the adapter, briefly, and shared by
// replicas). An error means it could not tell.
type MemberSource interface {
	IsMember(ctx context.Context, chatID, openID string) (bool, error)
}

// everyoneIsMember is the default MemberSource, for tests that do not
// care: every open_id is a member of every chat.
type everyoneIsMember struct{}

func (everyoneIsMember) IsMember(context.Context, string, string) (bool, error) { return true, nil }

// memberLookupTimeout bounds a membership check, the chat lookup it may
// need included. Clicks are answered inside the callback request, which
// the platform gives 3 s, and may look the chat up once more (isAdmin,
// cached by then, failures included).
const memberLookupTimeout = 1500 * time.Millisecond

// refuseNonMember is the check in front of every button on a group card
// (Mark done, Reopen, the /todo list pages, Done, Snooze, Cancel reminder):
// only members of the chat the card's record belongs to may use it. Cards
// can be forwarded, so chatID is always the record's chat, never the chat
// a callback says it came from.
//
// soleMember is the record's creator: when chatID is a one-to-one chat
// with the bot, they are its only human member (the member list is
// documented for groups only, so it is not asked).
//
// It returns nil when the click may go on, else the answer to refuse it
// with: an error toast that names nothing of the chat. It fails closed:
// when membership cannot be read (the platform is down, the bot left the
// chat), the click is refused with a "try again" toast, because a button
// must not turn an outage into a way around the check; nothing is lost,
// the same click works once the platform answers.
func (e *Engine) refuseNonMember(ctx context.Context, chatID, openID, soleMember, locale string, log *zap.Logger) *Answer {
	if !isOpenID(openID) || !platformid.IsChatID(chatID) {
		log.Info("click refused: no valid operator or chat")
		ans := ToastAnswer(ToastError, locale, MsgNotChatMember)
		return &ans
	}
	// One deadline for both lookups: the click must be answered in time
	// even when the platform is slow to answer either.
	ctx, cancel := context.WithTimeout(ctx, memberLookupTimeout)
	defer cancel()
	if ch := e.chatInfo(ctx, chatID); ch != nil && ch.Mode == ChatModeP2P {
		if openID == soleMember {
			return nil
		}
		log.Info("click refused: not the member of this one-to-one chat")
		ans := ToastAnswer(ToastError, locale, MsgNotChatMember)
		return &ans
	}
	member, err := e.deps.Members.IsMember(ctx, chatID, openID)
	switch {
	case err != nil:
		log.Warn("click refused: membership of the card's chat could not be read", zap.Error(err))
		ans := ToastAnswer(ToastError, locale, MsgMembershipUnknown)
		return &ans
	case !member:
		log.Info("click refused: not a member of the card's chat")
		ans := ToastAnswer(ToastError, locale, MsgNotChatMember)
		return &ans
	}
	return nil
}
