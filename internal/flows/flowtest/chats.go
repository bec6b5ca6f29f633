package flowtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/botd/botd/internal/flows"
)

// Chats answers chat lookups from a map; a chat it does not know is an
// ordinary group, and Err, when set, fails every lookup.
type Chats struct {
	mu    sync.Mutex
	m     map[string]*flows.ChatInfo
	Err   error
	calls int
}

var _ flows.ChatInfoSource = (*Chats)(nil)

// NewChats returns a source where every chat is an ordinary group.
func NewChats() *Chats { return &Chats{m: map[string]*flows.ChatInfo{}} }

// ChatInfo implements flows.ChatInfoSource.
func (f *Chats) ChatInfo(_ context.Context, chatID string) (*flows.ChatInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.Err != nil {
		return nil, f.Err
	}
	if ch, ok := f.m[chatID]; ok {
		return ch, nil
	}
	return &flows.ChatInfo{Mode: flows.ChatModeGroup, Status: "normal"}, nil
}

// Set says what chatID is.
func (f *Chats) Set(chatID string, ch *flows.ChatInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[chatID] = ch
}

// Calls is how many lookups were made.
func (f *Chats) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Members answers membership from a map of chat → members, and lists them;
// Err, when set, fails every lookup. It records what it was asked.
type Members struct {
	mu    sync.Mutex
	m     map[string][]string
	Err   error
	asked []string // "chat/open_id"
}

var (
	_ flows.MemberSource = (*Members)(nil)
	_ flows.MemberLister = (*Members)(nil)
)

// NewMembers returns a member source where nobody is in any chat.
func NewMembers() *Members { return &Members{m: map[string][]string{}} }

// IsMember implements flows.MemberSource.
func (f *Members) IsMember(_ context.Context, chatID, openID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, chatID+"/"+openID)
	if f.Err != nil {
		return false, f.Err
	}
	return slices.Contains(f.m[chatID], openID), nil
}

// ChatMembers implements flows.MemberLister.
func (f *Members) ChatMembers(_ context.Context, chatID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Err != nil {
		return nil, f.Err
	}
	return slices.Clone(f.m[chatID]), nil
}

// Set makes members the members of chatID.
func (f *Members) Set(chatID string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[chatID] = members
}

// Questions returns what IsMember was asked, "chat/open_id", in order.
func (f *Members) Questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// Counter is a flows.FairUseCounter in memory, with the semantics of
// state.FairUse within one window (the window never passes).
type Counter struct {
	mu     sync.Mutex
	member map[string]int
	chat   map[string]int
	told   map[string]bool
	Err    error
	calls  int
}

var _ flows.FairUseCounter = (*Counter)(nil)

// NewCounter returns a counter with nothing counted.
func NewCounter() *Counter {
	return &Counter{member: map[string]int{}, chat: map[string]int{}, told: map[string]bool{}}
}

// CountCommand implements flows.FairUseCounter.
func (f *Counter) CountCommand(_ context.Context, chatID, openID string, caps flows.FairUse) (flows.FairUseVerdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.Err != nil {
		return flows.FairUseVerdict{}, f.Err
	}
	key := chatID + "/" + openID
	f.member[key]++
	v := flows.FairUseVerdict{Allowed: true}
	switch {
	case caps.MemberCommands > 0 && f.member[key] > caps.MemberCommands:
		v = flows.FairUseVerdict{RetryIn: 7500 * time.Millisecond}
	case caps.ChatCommands > 0 && f.chat[chatID] >= caps.ChatCommands:
		v = flows.FairUseVerdict{ChatCap: true, RetryIn: 3 * time.Second}
	default:
		f.chat[chatID]++
	}
	if !v.Allowed && !f.told[key] {
		f.told[key], v.Notify = true, true
	}
	return v, nil
}

// Calls is how many commands were counted.
func (f *Counter) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}
