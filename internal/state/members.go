package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys of the membership cache (see Members), all of one chat in the chat's
// slot ({CHAT}, keys.go), since Store replaces them in one MULTI:
//
//	botd:members:{CHAT}         set     open_ids of the chat's last member list, and ""       TTL: Keep
//	botd:members:{CHAT}:at      string  "MS" when that list was read, "MS:partial" when
//	                                    it was cut short (it then proves no absence)          TTL: Keep
//	botd:members:{CHAT}:failed  string  "MS": until when a failed read is not retried       TTL: Failure

// MemberTTLs say how long a chat's member list is trusted.
type MemberTTLs struct {
	// Keep is how long a member found in the list stays a member.
	Keep time.Duration
	// Absence is how long someone missing from the list stays a
	// non-member: shorter than Keep, so that a member who just joined
	// is let in soon.
	Absence time.Duration
	// Failure is how long a failed read is remembered, so that a burst of
	// clicks during an outage makes one call, not one each.
	Failure time.Duration
}

// MemberAnswer is what the cache knows about one member of one chat.
type MemberAnswer int

// The answers of Members.Lookup.
const (
	MemberUnknown MemberAnswer = iota // nothing (fresh enough) is known: read the list
	MemberYes                         // in the chat's member list
	MemberNo                          // not in a recent complete member list
	MemberFailed                      // the last read failed moments ago: do not read again yet
)

// Members caches chats' member lists (GET chat members), shared by every
// replica: a whole list is stored at once, as a set, so one read of a chat
// answers every later click in it for a while.
//
// Times are stored in the values and compared with this process's clock,
// not only left to key expiry: the in-process store's keys do not expire
// by themselves, and a skew of a few seconds between replicas does not
// matter at these lifetimes.
type Members struct {
	rdb redis.UniversalClient
	scope
	ttls MemberTTLs
	now  func() time.Time
}

// NewMembers returns the cache on rdb, under its key prefix if it has one
// (WithKeyPrefix); now nil means time.Now. WithTenants(true) makes it a
// store app's: each tenant's chats apart (tenants.go).
func NewMembers(rdb redis.UniversalClient, ttls MemberTTLs, now func() time.Time, opts ...Option) *Members {
	if now == nil {
		now = time.Now
	}
	return &Members{rdb: rdb, scope: newScope(rdb, opts), ttls: ttls, now: now}
}

// Lookup tells what is known about openID in chatID, in one round trip.
func (m *Members) Lookup(ctx context.Context, chatID, openID string) (MemberAnswer, error) {
	if openID == "" {
		return MemberNo, nil // nobody; also the set's placeholder (Store)
	}
	k, err := m.space(ctx)
	if err != nil {
		return MemberUnknown, fmt.Errorf("state: members of %s: %w", chatID, err)
	}
	var at, failed *redis.StringCmd
	var in *redis.BoolCmd
	_, err = m.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		at = p.Get(ctx, k.membersAt(chatID))
		in = p.SIsMember(ctx, k.members(chatID), openID)
		failed = p.Get(ctx, k.membersFailed(chatID))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return MemberUnknown, fmt.Errorf("state: members of %s: %w", chatID, err)
	}
	now := m.now()
	raw, _ := at.Result()
	ms, partial := strings.CutSuffix(raw, ":partial")
	if taken, ok := stamp(ms); ok {
		age := now.Sub(taken)
		switch {
		case age < 0 || age >= m.ttls.Keep:
		case in.Val():
			return MemberYes, nil
		case age < m.ttls.Absence && !partial:
			return MemberNo, nil
		}
	}
	f, _ := failed.Result()
	if until, ok := stamp(f); ok && now.Before(until) {
		return MemberFailed, nil
	}
	return MemberUnknown, nil
}

// Store replaces the chat's member list with openIDs and forgets a
// failure. complete is false for a list cut short (a chat too big to read
// whole): it answers for the members in it, and for nobody's absence.
// Readers see the old list or the new one, never a mix.
func (m *Members) Store(ctx context.Context, chatID string, openIDs []string, complete bool) error {
	if chatID == "" {
		return errors.New("state: store members: no chat")
	}
	k, err := m.space(ctx)
	if err != nil {
		return fmt.Errorf("state: store members of %s: %w", chatID, err)
	}
	members := make([]any, 0, len(openIDs)+1)
	members = append(members, "") // so that a chat of bots only is a set too
	for _, id := range openIDs {
		members = append(members, id)
	}
	taken := strconv.FormatInt(m.now().UnixMilli(), 10)
	if !complete {
		taken += ":partial"
	}
	_, err = m.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k.members(chatID), k.membersFailed(chatID))
		p.SAdd(ctx, k.members(chatID), members...)
		p.PExpire(ctx, k.members(chatID), m.ttls.Keep)
		p.Set(ctx, k.membersAt(chatID), taken, m.ttls.Keep)
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: store members of %s: %w", chatID, err)
	}
	return nil
}

// Fail remembers that reading the chat's member list failed, for the
// Failure TTL, or for d when it is longer (a chat too big to read whole).
func (m *Members) Fail(ctx context.Context, chatID string, d time.Duration) error {
	d = max(d, m.ttls.Failure)
	until := m.now().Add(d)
	k, err := m.space(ctx)
	if err != nil {
		return fmt.Errorf("state: remember failed members read of %s: %w", chatID, err)
	}
	if err := m.rdb.Set(ctx, k.membersFailed(chatID), strconv.FormatInt(until.UnixMilli(), 10), d).Err(); err != nil {
		return fmt.Errorf("state: remember failed members read of %s: %w", chatID, err)
	}
	return nil
}

// stamp reads a time stored as Unix milliseconds.
func stamp(v string) (time.Time, bool) {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}
