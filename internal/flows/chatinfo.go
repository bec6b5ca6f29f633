package flows

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Chat modes (ChatInfo.Mode), as GET chat reports them (chat_mode).
const (
	ChatModeGroup = "group" // ordinary group: ephemeral forms
	ChatModeTopic = "topic" // topic group: no ephemeral cards; forms go to p2p
	ChatModeP2P   = "p2p"   // one-to-one chat with the bot
)

// ChatInfo is what the engine needs to know about a chat: its kind and who
// runs it. User ids are open_ids.
type ChatInfo struct {
	Mode       string
	Name       string // the chat's name, for the web app; "" when unknown
	OwnerID    string
	ManagerIDs []string
	Status     string // "normal", "dissolved", ...
}

// ChatInfoSource looks chats up (GET chat, cached by the adapter so that
// replicas share one answer and a burst of commands makes one call).
type ChatInfoSource interface {
	ChatInfo(ctx context.Context, chatID string) (*ChatInfo, error)
}

// ErrChatGone is returned by a ChatInfoSource (wrapped) when the chat is
// disbanded or the bot is no longer in it: nothing can be shown there.
var ErrChatGone = errors.New("chat gone or bot not in it")

// noChatInfo is the default source: every chat is an ordinary group.
type noChatInfo struct{}

func (noChatInfo) ChatInfo(context.Context, string) (*ChatInfo, error) {
	return &ChatInfo{Mode: ChatModeGroup}, nil
}

// chatLookupTimeout bounds a chat lookup. Commands look chats up inside the
// webhook request, which the platform gives 3 s; a slow answer must not
// cost the whole command.
const chatLookupTimeout = 1500 * time.Millisecond

// chatInfo looks a chat up. On failure it logs and returns nil: callers
// fall back to what needs no lookup (an ordinary group, BOTD_ADMINS only),
// so a platform hiccup degrades rather than refuses.
func (e *Engine) chatInfo(ctx context.Context, chatID string) *ChatInfo {
	ctx, cancel := context.WithTimeout(ctx, chatLookupTimeout)
	defer cancel()
	ch, err := e.deps.Chats.ChatInfo(ctx, chatID)
	switch {
	case errors.Is(err, ErrChatGone):
		e.log.Info("chat info: the bot is not in the chat or it is gone; configured admins only",
			zap.String("chat_id", chatID), zap.Error(err))
		return nil
	case err != nil:
		e.log.Warn("chat info unavailable; falling back to configured admins and an ordinary group",
			zap.String("chat_id", chatID), zap.Error(err))
		return nil
	}
	return ch
}

// isAdmin reports whether openID may act on anyone's records in chatID and
// start admin-only flows there: a configured admin (BOTD_ADMINS), or the
// chat's owner or one of its managers.
func (e *Engine) isAdmin(ctx context.Context, chatID, openID string) bool {
	if openID == "" {
		return false
	}
	if e.deps.Admins(chatID, openID) {
		return true
	}
	ch := e.chatInfo(ctx, chatID)
	return ch != nil && (ch.OwnerID == openID || slices.Contains(ch.ManagerIDs, openID))
}
