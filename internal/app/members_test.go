package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

const (
	simApp    = "cli_members_test"
	simSecret = "secret"
	bigChat   = "oc_bigchat"
)

// stepClock is the membership cache's clock, moved by hand.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// memberWorld is the simulator with bigChat (250 members: 3 pages) and
// directories on one Redis, as replicas are.
type memberWorld struct {
	sim   *feishusim.Server
	rdb   redis.UniversalClient
	clock *stepClock
	open  pacedLookups
}

func member(i int) string { return fmt.Sprintf("ou_member%03d", i) }

func newMemberWorld(t *testing.T) *memberWorld {
	t.Helper()
	sim := feishusim.New(feishusim.Options{AppID: simApp, AppSecret: simSecret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	var members []string
	for i := range 250 {
		members = append(members, member(i))
	}
	sim.AddChat(feishusim.Chat{ID: bigChat, Members: members, BotIsMember: true})
	c, err := ephemeral.New(ephemeral.Config{AppID: simApp, AppSecret: simSecret, BaseURL: srv.URL, Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	rdb := statetest.Client(t)
	l, err := ratelimit.New(rdb, ratelimit.Limits{}, ratelimit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &memberWorld{sim: sim, rdb: rdb, clock: &stepClock{now: time.Now()}, open: pacedLookups{open: c, l: l}}
}

// directory is one replica's memberDirectory.
func (w *memberWorld) directory(t *testing.T) *memberDirectory {
	t.Helper()
	d := newMemberDirectory(w.open, state.NewMembers(w.rdb, memberTTLs, w.clock.Now), zaptest.NewLogger(t))
	// Long enough to cover a click between its cache miss and joining the
	// read (TestMemberDirectorySharesOneRead), short enough that idle, which
	// waits for finished reads to be forgotten, keeps the tests quick.
	d.walkLinger = 300 * time.Millisecond
	t.Cleanup(d.Close)
	return d
}

// pages counts the member list calls the simulator answered.
func (w *memberWorld) pages() int {
	n := 0
	for _, c := range w.sim.Calls() {
		if strings.HasSuffix(c.Path, "/members") {
			n++
		}
	}
	return n
}

// idle waits until d has no read in progress.
func idle(t *testing.T, d *memberDirectory) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.mu.Lock()
		n := len(d.walks)
		d.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("member list read still running after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isMember(t *testing.T, d *memberDirectory, chat, who string) bool {
	t.Helper()
	ok, err := d.IsMember(context.Background(), chat, who)
	if err != nil {
		t.Fatalf("IsMember(%s, %s): %v", chat, who, err)
	}
	return ok
}

// One read of the list (paged, paced, with member_id_type=open_id) answers
// every member and non-member on every replica until the cache lapses.
func TestMemberDirectoryReadsTheListOnce(t *testing.T) {
	w := newMemberWorld(t)
	d, other := w.directory(t), w.directory(t)

	if !isMember(t, d, bigChat, member(3)) {
		t.Fatal("a member on the first page is not a member")
	}
	idle(t, d)
	if n := w.pages(); n != 3 {
		t.Fatalf("%d pages read for 250 members, want 3", n)
	}
	for _, c := range w.sim.Calls() {
		if strings.HasSuffix(c.Path, "/members") && (!strings.Contains(c.Query, "member_id_type=open_id") || !strings.Contains(c.Query, "page_size=100")) {
			t.Errorf("member list query %q", c.Query)
		}
	}
	for _, dir := range []*memberDirectory{d, other} {
		if !isMember(t, dir, bigChat, member(249)) {
			t.Fatal("a member on the last page is not a member")
		}
		if isMember(t, dir, bigChat, "ou_stranger") {
			t.Fatal("a stranger is a member")
		}
	}
	if n := w.pages(); n != 3 {
		t.Fatalf("%d pages read in all, want 3: the cache must answer", n)
	}
	if n := w.rdb.ZCard(context.Background(), ratelimit.AppKey(state.KeyPrefix(w.rdb), ratelimit.APIChatMembers)).Val(); n != 3 {
		t.Errorf("%d member list calls paced, want 3", n)
	}

	// A member who just joined is let in once absence is no longer trusted.
	if err := w.sim.AddMember(bigChat, "ou_newcomer"); err != nil {
		t.Fatal(err)
	}
	w.clock.advance(memberTTLs.Absence + time.Second)
	if !isMember(t, other, bigChat, "ou_newcomer") {
		t.Fatal("the newcomer is still refused after the absence TTL")
	}
	if isMember(t, d, "oc_bad id", member(1)) || isMember(t, d, bigChat, "not-an-open-id") {
		t.Fatal("malformed ids are members")
	}
}

// Clicks in one chat at once share one read.
func TestMemberDirectorySharesOneRead(t *testing.T) {
	w := newMemberWorld(t)
	d := w.directory(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if !isMember(t, d, bigChat, member(i*12)) {
				t.Errorf("member %d refused", i*12)
			}
		})
	}
	wg.Wait()
	idle(t, d)
	if n := w.pages(); n != 3 {
		t.Fatalf("%d pages for 20 clicks at once, want 3", n)
	}
}

// A failed read is an error (the caller fails closed), remembered briefly
// so that the next clicks make no call; a chat the bot left is ErrChatGone.
func TestMemberDirectoryFailures(t *testing.T) {
	w := newMemberWorld(t)
	d := w.directory(t)
	w.sim.SetFault(func(r *http.Request) *feishusim.Fault {
		if strings.HasSuffix(r.URL.Path, "/members") {
			return &feishusim.Fault{Status: http.StatusInternalServerError, Code: 500}
		}
		return nil
	})
	for i := range 3 {
		if _, err := d.IsMember(context.Background(), bigChat, member(1)); err == nil || errors.Is(err, flows.ErrChatGone) {
			t.Fatalf("click %d during an outage: %v, want an error", i+1, err)
		}
		idle(t, d)
	}
	if n := w.pages(); n != 1 {
		t.Fatalf("%d calls for 3 clicks during an outage, want 1", n)
	}
	w.sim.SetFault(nil)
	w.clock.advance(memberTTLs.Failure + time.Second)
	if !isMember(t, d, bigChat, member(1)) {
		t.Fatal("refused once the platform answers again")
	}
	idle(t, d)

	if err := w.sim.RemoveBot(bigChat); err != nil {
		t.Fatal(err)
	}
	w.clock.advance(memberTTLs.Keep + time.Second)
	if _, err := d.IsMember(context.Background(), bigChat, member(1)); !errors.Is(err, flows.ErrChatGone) {
		t.Fatalf("the bot left the chat: %v, want ErrChatGone", err)
	}
}

// A click whose deadline passes while the list is read gets an error; the
// read goes on and fills the cache, so trying again works without a call.
func TestMemberDirectoryReadOutlivesTheClick(t *testing.T) {
	w := newMemberWorld(t)
	d := w.directory(t)
	w.sim.SetFault(func(r *http.Request) *feishusim.Fault {
		if strings.HasSuffix(r.URL.Path, "/members") {
			return &feishusim.Fault{Delay: 200 * time.Millisecond}
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.IsMember(ctx, bigChat, member(249)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("click with a short deadline: %v, want DeadlineExceeded", err)
	}
	idle(t, d)
	before := w.pages()
	if !isMember(t, d, bigChat, member(249)) || w.pages() != before {
		t.Fatal("trying again did not find the member in the cache")
	}
}

// A chat too big to read whole: those read are members, the others are
// refused with an error (never "not a member") without reading it again.
func TestMemberDirectoryTooBig(t *testing.T) {
	w := newMemberWorld(t)
	d := w.directory(t)
	d.maxPages = 2
	if !isMember(t, d, bigChat, member(10)) {
		t.Fatal("a member on the first pages is refused")
	}
	idle(t, d)
	for range 2 {
		if _, err := d.IsMember(context.Background(), bigChat, member(230)); err == nil {
			t.Fatal("a member beyond the pages read: no error")
		}
	}
	if !isMember(t, d, bigChat, member(150)) {
		t.Fatal("a member read is refused")
	}
	if n := w.pages(); n != 2 {
		t.Fatalf("%d pages read, want 2", n)
	}
}

// ChatMembers lists every member, in list order, in one paced read that
// clicks at the same time share and whose outcome answers later clicks
// from the cache; a list cut short or unreadable is an error, never a
// partial list. The engine reaches it as Host.ChatMembers (flows.Deps.Members).
func TestMemberDirectoryListsMembers(t *testing.T) {
	w := newMemberWorld(t)
	d := w.directory(t)
	var lister flows.MemberLister = d // what Host.ChatMembers asserts
	var wg sync.WaitGroup
	wg.Go(func() {
		if !isMember(t, d, bigChat, member(200)) {
			t.Error("a member refused while the list is read")
		}
	})
	ids, err := lister.ChatMembers(context.Background(), bigChat)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 250 || ids[0] != member(0) || ids[249] != member(249) {
		t.Fatalf("ChatMembers: %d members (%v...), want the 250 in order", len(ids), ids[:min(3, len(ids))])
	}
	idle(t, d)
	if n := w.pages(); n != 3 {
		t.Fatalf("%d pages for a list and a click, want 3", n)
	}
	if !isMember(t, d, bigChat, member(249)) || w.pages() != 3 {
		t.Fatal("the listed members are not cached for clicks")
	}
	if n := w.rdb.ZCard(context.Background(), ratelimit.AppKey(state.KeyPrefix(w.rdb), ratelimit.APIChatMembers)).Val(); n != 3 {
		t.Errorf("%d member list calls paced, want 3", n)
	}

	if _, err := d.ChatMembers(context.Background(), "not a chat"); err == nil {
		t.Error("a malformed chat id listed")
	}
	d.maxPages = 2
	if ids, err := d.ChatMembers(context.Background(), bigChat); err == nil {
		t.Fatalf("a chat too big to read whole listed %d members, want an error", len(ids))
	}
	d.maxPages = maxMemberPages
	w.sim.SetFault(func(r *http.Request) *feishusim.Fault {
		if strings.HasSuffix(r.URL.Path, "/members") {
			return &feishusim.Fault{Status: http.StatusInternalServerError, Code: 500}
		}
		return nil
	})
	if _, err := d.ChatMembers(context.Background(), bigChat); err == nil {
		t.Fatal("an unreadable list: no error")
	}
}
