package flowtest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/botd/botd/internal/flows"
)

// Call is one recorded Sender call.
type Call struct {
	Op     string // send, delete, post, update, dm
	ChatID string
	OpenID string
	ID     string // message id returned (send, post, dm) or given (delete, update)
	UUID   string
	Card   any
}

// SendError is a Sender failure that says whether retrying helps, as the
// real client's errors do.
type SendError struct{ Retry bool }

func (e SendError) Error() string   { return fmt.Sprintf("open api failed (retryable %v)", e.Retry) }
func (e SendError) Retryable() bool { return e.Retry }

// Sender records successful calls, with message ids om_eph_N, om_post_N
// and om_dm_N in call order. A post or a send to a user with a uuid seen
// before returns the first message again and records nothing, as the
// platform does. Fail and Hook change the next call of an op.
type Sender struct {
	mu    sync.Mutex
	calls []Call
	n     int
	uuids map[string]string // uuid → message id, as the platform keeps them
	fail  map[string]error
	hooks map[string]func()
}

var _ flows.Sender = (*Sender)(nil)

// NewSender returns a sender with no calls.
func NewSender() *Sender {
	return &Sender{uuids: map[string]string{}, fail: map[string]error{}, hooks: map[string]func(){}}
}

// Fail makes the next call of op fail with err (nil: no longer).
func (s *Sender) Fail(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.fail, op)
		return
	}
	s.fail[op] = err
}

// Hook runs fn inside the next call of op, before it returns.
func (s *Sender) Hook(op string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[op] = fn
}

// enter consumes a pending failure or hook for op.
func (s *Sender) enter(op string) error {
	s.mu.Lock()
	err := s.fail[op]
	delete(s.fail, op)
	hook := s.hooks[op]
	delete(s.hooks, op)
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return err
}

func (s *Sender) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// SendEphemeral implements flows.Sender.
func (s *Sender) SendEphemeral(_ context.Context, chatID, openID string, card any) (string, error) {
	s.mu.Lock()
	s.n++
	id := fmt.Sprintf("om_eph_%d", s.n)
	s.mu.Unlock()
	if err := s.enter("send"); err != nil {
		return "", err
	}
	s.record(Call{Op: "send", ChatID: chatID, OpenID: openID, ID: id, Card: card})
	return id, nil
}

// DeleteEphemeral implements flows.Sender.
func (s *Sender) DeleteEphemeral(_ context.Context, messageID string) error {
	if err := s.enter("delete"); err != nil {
		return err
	}
	s.record(Call{Op: "delete", ID: messageID})
	return nil
}

// PostCard implements flows.Sender.
func (s *Sender) PostCard(_ context.Context, chatID string, card any, uuid string) (string, error) {
	if err := s.enter("post"); err != nil {
		return "", err
	}
	s.mu.Lock()
	id, dup := s.uuids[uuid]
	if !dup {
		s.n++
		id = fmt.Sprintf("om_post_%d", s.n)
		s.uuids[uuid] = id
	}
	s.mu.Unlock()
	if !dup { // the platform posts once per uuid
		s.record(Call{Op: "post", ChatID: chatID, ID: id, UUID: uuid, Card: card})
	}
	return id, nil
}

// SendToUser implements flows.Sender.
func (s *Sender) SendToUser(_ context.Context, openID string, card any, uuid string) (string, error) {
	if err := s.enter("dm"); err != nil {
		return "", err
	}
	s.mu.Lock()
	id, dup := s.uuids[uuid]
	if !dup {
		s.n++
		id = fmt.Sprintf("om_dm_%d", s.n)
		s.uuids[uuid] = id
	}
	s.mu.Unlock()
	if !dup {
		s.record(Call{Op: "dm", OpenID: openID, ID: id, UUID: uuid, Card: card})
	}
	return id, nil
}

// UpdateCard implements flows.Sender.
func (s *Sender) UpdateCard(_ context.Context, messageID string, card any) error {
	if err := s.enter("update"); err != nil {
		return err
	}
	s.record(Call{Op: "update", ID: messageID, Card: card})
	return nil
}

// Calls returns the recorded calls, in order.
func (s *Sender) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Ops returns "op id" of each recorded call, in order.
func (s *Sender) Ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := make([]string, len(s.calls))
	for i, c := range s.calls {
		ops[i] = c.Op + " " + c.ID
	}
	return ops
}

// Only returns the recorded calls of op, in order.
func (s *Sender) Only(t testing.TB, op string) []Call {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}
