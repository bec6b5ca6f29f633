package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/tenant"
)

// How long a chat's member list is trusted (state.MemberTTLs): a member
// stays one for a minute, so a burst of clicks in a chat reads the list
// once; someone missing from it is trusted absent for only 15 s, so a new
// member gets in soon; a failed read is not retried for 5 s, so a burst of
// clicks during an outage makes one read.
var memberTTLs = state.MemberTTLs{Keep: 60 * time.Second, Absence: 15 * time.Second, Failure: 5 * time.Second}

const (
	// maxMemberPages bounds one read of a member list: 10,000 members at
	// 100 a page. A bigger chat is read that far; its members beyond are
	// refused with "try again" (fail closed) for memberTTLs.Keep.
	maxMemberPages = 100
	// memberWalkTimeout bounds one read of a member list, which goes on
	// after the click that started it has been answered.
	memberWalkTimeout = 30 * time.Second
	// memberCacheTimeout bounds the Redis writes at the end of a read.
	memberCacheTimeout = 2 * time.Second
	// memberWalkLinger is how long a finished read still answers clicks
	// that join it. A click looks in the cache, then joins the read in
	// progress; a read that finishes between those two steps has cached
	// its list, but the click missed the cache: without the linger it would
	// start a second read of the whole list.
	memberWalkLinger = 2 * time.Second
)

// errTooManyMembers ends a read of a chat bigger than maxMemberPages.
var errTooManyMembers = errors.New("chat too big: member list read only in part")

// memberLister is the part of the Open API client memberDirectory calls.
type memberLister interface {
	ChatMembers(ctx context.Context, chatID, pageToken string) (*ephemeral.MemberPage, error)
}

// memberCache is where member lists are shared by replicas (state.Members).
type memberCache interface {
	Lookup(ctx context.Context, chatID, openID string) (state.MemberAnswer, error)
	Store(ctx context.Context, chatID string, openIDs []string, complete bool) error
	Fail(ctx context.Context, chatID string, d time.Duration) error
}

// memberDirectory is flows.MemberSource: whether someone is in a chat,
// from the chat's member list (GET chat members, paged, paced like every
// Open API call).
//
// The member list, not is_in_chat: GET .../members/is_in_chat answers for
// the identity of the access token, and with the tenant token that is the
// bot; it takes no member to ask about. The list works with the tenant
// token for any member, as long as the bot is in the chat.
//
// A chat's list is read whole, in the background, by one read per chat
// and process that every click waiting on it shares; a click is answered
// as soon as its member shows up on a page, or when the list ends, or when
// its own deadline passes (the read goes on and fills the cache, so
// "try again" is true). The list is then cached in Redis for every
// replica (memberTTLs).
type memberDirectory struct {
	open        memberLister
	cache       memberCache
	log         *zap.Logger
	maxPages    int
	walkTimeout time.Duration
	walkLinger  time.Duration // memberWalkLinger; tests shorten it

	base   context.Context // ends reads when the app stops
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	walks map[string]*memberWalk // reads in progress, by chat (localKey: a store app's by tenant and chat)
}

var (
	_ flows.MemberSource = (*memberDirectory)(nil)
	_ flows.MemberLister = (*memberDirectory)(nil)
)

func newMemberDirectory(open memberLister, cache memberCache, log *zap.Logger) *memberDirectory {
	base, cancel := context.WithCancel(context.Background())
	return &memberDirectory{open: open, cache: cache, log: log, maxPages: maxMemberPages, walkTimeout: memberWalkTimeout, walkLinger: memberWalkLinger,
		base: base, cancel: cancel, walks: map[string]*memberWalk{}}
}

// Close ends the reads in progress and waits for them.
func (d *memberDirectory) Close() {
	d.cancel()
	d.wg.Wait()
}

// IsMember reports whether openID is in chatID. An error means it could not
// be told: the list could not be read (recently, or now), or ctx ended
// first; the caller decides (flows fails closed).
func (d *memberDirectory) IsMember(ctx context.Context, chatID, openID string) (bool, error) {
	if !platformid.IsChatID(chatID) || !platformid.IsOpenID(openID) {
		return false, nil // no such member of no such chat; never a key
	}
	ans, err := d.cache.Lookup(ctx, chatID, openID)
	if err != nil {
		return false, fmt.Errorf("members of %s: %w", chatID, err)
	}
	switch ans {
	case state.MemberYes:
		return true, nil
	case state.MemberNo:
		return false, nil
	case state.MemberFailed:
		return false, fmt.Errorf("members of %s: %w", chatID, errRecentFailure)
	}
	return d.walk(ctx, chatID).wait(ctx, openID)
}

// ChatMembers lists chatID's members (flows.MemberLister, behind
// Host.ChatMembers: /announce's audience and nudge). It reads the whole
// list, joining a read already in progress for the chat (whose outcome
// every IsMember then finds cached), paged and paced like every read. A
// chat too big to read whole, or a list that cannot be read, is an error:
// a partial list would nudge the wrong members.
func (d *memberDirectory) ChatMembers(ctx context.Context, chatID string) ([]string, error) {
	if !platformid.IsChatID(chatID) {
		return nil, fmt.Errorf("members of %q: not a chat id", chatID)
	}
	ids, err := d.walk(ctx, chatID).all(ctx)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", chatID, err)
	}
	return ids, nil
}

// walk returns the read of chatID's list in progress (in ctx's tenant),
// starting one if there is none.
func (d *memberDirectory) walk(ctx context.Context, chatID string) *memberWalk {
	key := localKey(ctx, chatID)
	d.mu.Lock()
	defer d.mu.Unlock()
	if w, ok := d.walks[key]; ok {
		return w
	}
	w := &memberWalk{seen: map[string]bool{}, changed: make(chan struct{})}
	d.walks[key] = w
	// The read outlives the click that started it, so it runs on the
	// directory's own context, with the click's tenant: a store app's
	// Open API calls and cache writes are that tenant's.
	base := d.base
	if t, ok := tenant.From(ctx); ok {
		base = tenant.With(base, t)
	}
	d.wg.Add(1)
	go d.run(base, key, chatID, w)
	return w
}

// run reads chatID's list into w, caches the outcome and forgets w (under
// key in walks). The outcome is cached before w is forgotten, so a click
// that comes between finds one or the other.
func (d *memberDirectory) run(base context.Context, key, chatID string, w *memberWalk) {
	defer d.wg.Done()
	ctx, cancel := context.WithTimeout(base, d.walkTimeout)
	defer cancel()
	start := time.Now()
	ids, err := d.read(ctx, chatID, w)

	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), memberCacheTimeout)
	defer ccancel()
	log := d.log.With(zap.String("chat_id", chatID))
	switch {
	case err == nil:
		if serr := d.cache.Store(cctx, chatID, ids, true); serr != nil {
			log.Warn("cannot cache a chat's member list", zap.Error(serr))
		}
		log.Debug("chat member list read", zap.Int("members", len(ids)), zap.Duration("took", time.Since(start)))
	case errors.Is(err, errTooManyMembers):
		// Those read answer for a while; the rest get "try again" rather
		// than a read of the same pages on every click.
		if serr := d.cache.Store(cctx, chatID, ids, false); serr != nil {
			log.Warn("cannot cache a chat's member list", zap.Error(serr))
		}
		if ferr := d.cache.Fail(cctx, chatID, memberTTLs.Keep); ferr != nil {
			log.Warn("cannot cache a failed member list read", zap.Error(ferr))
		}
		log.Warn("chat member list read only in part; members beyond it cannot use card buttons",
			zap.Int("members_read", len(ids)))
	case errors.Is(err, context.Canceled):
		// The app is stopping.
	default:
		if ferr := d.cache.Fail(cctx, chatID, 0); ferr != nil {
			log.Warn("cannot cache a failed member list read", zap.Error(ferr))
		}
		log.Warn("cannot read a chat's member list; card buttons there answer \"try again\" meanwhile", zap.Error(err))
	}
	w.finish(ids, err)
	// Forget the read once it has lingered (see memberWalkLinger), unless
	// a newer one has taken its place.
	time.AfterFunc(d.walkLinger, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.walks[key] == w {
			delete(d.walks, key)
		}
	})
}

// read walks the pages of chatID's list, telling w about each. It returns
// the members read: all of them, or with errTooManyMembers the first
// maxPages pages.
func (d *memberDirectory) read(ctx context.Context, chatID string, w *memberWalk) ([]string, error) {
	var all []string
	token := ""
	for range d.maxPages {
		p, err := d.open.ChatMembers(ctx, chatID, token)
		if err != nil {
			if ephemeral.IsChatGone(err) {
				err = fmt.Errorf("%w: %w", flows.ErrChatGone, err)
			}
			return nil, fmt.Errorf("members of %s: %w", chatID, err)
		}
		all = append(all, p.OpenIDs...)
		w.add(p.OpenIDs)
		if !p.HasMore {
			return all, nil
		}
		token = p.PageToken
	}
	return all, fmt.Errorf("members of %s: %w", chatID, errTooManyMembers)
}

// memberWalk is one read of a chat's list in progress, shared by the
// clicks waiting on it.
type memberWalk struct {
	mu      sync.Mutex
	seen    map[string]bool
	ids     []string // every member, in list order, once done without error
	done    bool
	err     error
	changed chan struct{} // closed on every page and at the end
}

func (w *memberWalk) add(ids []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		w.seen[id] = true
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *memberWalk) finish(ids []string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done, w.err = true, err
	if err == nil {
		w.ids = ids
	}
	close(w.changed)
}

// all returns every member once the list ends, or the read's error, or
// ctx's.
func (w *memberWalk) all(ctx context.Context) ([]string, error) {
	for {
		w.mu.Lock()
		ids, done, err, changed := w.ids, w.done, w.err, w.changed
		w.mu.Unlock()
		switch {
		case done && err != nil:
			return nil, err
		case done:
			return slices.Clone(ids), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("member list still being read: %w", context.Cause(ctx))
		}
	}
}

// wait returns as soon as openID shows up, or the list ends, or ctx ends.
func (w *memberWalk) wait(ctx context.Context, openID string) (bool, error) {
	for {
		w.mu.Lock()
		found, done, err, changed := w.seen[openID], w.done, w.err, w.changed
		w.mu.Unlock()
		switch {
		case found:
			return true, nil
		case done && err != nil:
			return false, err
		case done:
			return false, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false, fmt.Errorf("member list still being read: %w", context.Cause(ctx))
		}
	}
}
