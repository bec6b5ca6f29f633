package ratelimit

import (
	"context"
	"time"

	"github.com/botd/botd/internal/flows"
)

// pauseTimeout bounds the Redis write that shares a 429's reset with the
// other replicas; it runs even when the call's own context has ended.
const pauseTimeout = time.Second

// Sender paces a flows.Sender: each call waits for its turn under every
// quota it counts against (see the Limits methods), and a rate-limit error
// that gets through anyway pauses that API for all replicas. Errors from
// the limiter (a *WaitError, a cancelled wait, Redis) come back unchanged
// and the call is not made.
type Sender struct {
	inner flows.Sender
	l     *Limiter
	lim   Limits
}

// NewSender paces inner with l; a nil l (or one with Limits.Off) passes
// calls straight through.
func NewSender(inner flows.Sender, l *Limiter) *Sender {
	return &Sender{inner: inner, l: l, lim: l.Limits()}
}

// SendEphemeral counts against the chat's ephemeral quota and the app tier
// of ephemeral.send.
func (s *Sender) SendEphemeral(ctx context.Context, chatID, openID string, card any) (string, error) {
	call := s.lim.EphemeralSend(chatID)
	if err := s.l.Wait(ctx, call); err != nil {
		return "", err
	}
	id, err := s.inner.SendEphemeral(ctx, chatID, openID, card)
	s.honour(ctx, call.api, err)
	return id, err
}

// DeleteEphemeral counts against the app tier of ephemeral.delete.
func (s *Sender) DeleteEphemeral(ctx context.Context, messageID string) error {
	call := s.lim.EphemeralDelete()
	if err := s.l.Wait(ctx, call); err != nil {
		return err
	}
	err := s.inner.DeleteEphemeral(ctx, messageID)
	s.honour(ctx, call.api, err)
	return err
}

// PostCard counts against the chat's message quota and the app tier of
// im.message.create.
func (s *Sender) PostCard(ctx context.Context, chatID string, card any, uuid string) (string, error) {
	call := s.lim.MessageToChat(chatID)
	if err := s.l.Wait(ctx, call); err != nil {
		return "", err
	}
	id, err := s.inner.PostCard(ctx, chatID, card, uuid)
	s.honour(ctx, call.api, err)
	return id, err
}

// SendToUser counts against the user's message quota and the app tier of
// im.message.create.
func (s *Sender) SendToUser(ctx context.Context, openID string, card any, uuid string) (string, error) {
	call := s.lim.MessageToUser(openID)
	if err := s.l.Wait(ctx, call); err != nil {
		return "", err
	}
	id, err := s.inner.SendToUser(ctx, openID, card, uuid)
	s.honour(ctx, call.api, err)
	return id, err
}

// UpdateCard counts against the message's update quota and the app tier of
// im.message.patch.
func (s *Sender) UpdateCard(ctx context.Context, messageID string, card any) error {
	call := s.lim.MessageUpdate(messageID)
	if err := s.l.Wait(ctx, call); err != nil {
		return err
	}
	err := s.inner.UpdateCard(ctx, messageID, card)
	s.honour(ctx, call.api, err)
	return err
}

// honour pauses api when err carries the platform's request to wait: see
// Limiter.honour.
func (s *Sender) honour(ctx context.Context, api API, err error) { s.l.honour(ctx, api, err) }
