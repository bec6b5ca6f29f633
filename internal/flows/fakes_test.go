package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// memStore is a map-backed Store with a real compare-and-set on Version.
// Interactions are stored as JSON, so callers never share memory with it.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
	// beforeUpdate, when set, runs at the start of UpdateInteraction without
	// the lock held: tests use it to slip in a concurrent change.
	beforeUpdate func(it *Interaction)
	failCreate   error
	failUpdate   error // returned once by the next UpdateInteraction

	records    map[string][]byte    // reminders and todos by id, as JSON
	failRecord error                // returned once by the next record update
	order      []string             // record ids in creation order
	due        map[string]time.Time // the due set
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{m: map[string][]byte{}, records: map[string][]byte{}, due: map[string]time.Time{}}
}

func (s *memStore) CreateInteraction(_ context.Context, it *Interaction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCreate != nil {
		return s.failCreate
	}
	if _, ok := s.m[it.ID]; ok {
		return ErrExists
	}
	it.Version = 1
	return s.put(it)
}

func (s *memStore) Interaction(_ context.Context, id string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, ErrNotFound
	}
	var it Interaction
	if err := json.Unmarshal(b, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func (s *memStore) UpdateInteraction(ctx context.Context, it *Interaction) error {
	if hook := s.beforeUpdate; hook != nil {
		s.beforeUpdate = nil // once
		hook(it)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failUpdate; err != nil {
		s.failUpdate = nil
		return err
	}
	b, ok := s.m[it.ID]
	if !ok {
		return ErrNotFound
	}
	var cur Interaction
	if err := json.Unmarshal(b, &cur); err != nil {
		return err
	}
	if cur.Version != it.Version {
		return ErrConflict
	}
	it.Version++
	return s.put(it)
}

func (s *memStore) put(it *Interaction) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	s.m[it.ID] = b
	return nil
}

// modify changes a stored interaction as another writer would, bumping its
// version.
func (s *memStore) modify(t *testing.T, id string, change func(*Interaction)) {
	t.Helper()
	it, err := s.Interaction(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	change(it)
	s.mu.Lock()
	defer s.mu.Unlock()
	it.Version++
	if err := s.put(it); err != nil {
		t.Fatal(err)
	}
}

func (s *memStore) get(t *testing.T, id string) *Interaction {
	t.Helper()
	it, err := s.Interaction(context.Background(), id)
	if err != nil {
		t.Fatalf("load %s: %v", id, err)
	}
	return it
}

// call is one recorded Sender call.
type call struct {
	Op     string // send, delete, post, update
	ChatID string
	OpenID string
	ID     string // message id returned (send, post) or given (delete, update)
	UUID   string
	Card   any
}

// sendError is a Sender failure that says whether retrying helps, as the
// real client's errors do.
type sendError struct{ retry bool }

func (e sendError) Error() string   { return fmt.Sprintf("open api failed (retryable %v)", e.retry) }
func (e sendError) Retryable() bool { return e.retry }

// recSender records successful calls. fail makes the next call of an op
// fail; hooks run inside a call of an op (once), before it returns.
type recSender struct {
	mu    sync.Mutex
	calls []call
	n     int
	uuids map[string]string // uuid → message id, as the platform keeps them
	fail  map[string]error
	hooks map[string]func()
}

var _ Sender = (*recSender)(nil)

func newRecSender() *recSender {
	return &recSender{uuids: map[string]string{}, fail: map[string]error{}, hooks: map[string]func(){}}
}

// enter consumes a pending failure or hook for op.
func (s *recSender) enter(op string) error {
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

func (s *recSender) record(c call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *recSender) SendEphemeral(_ context.Context, chatID, openID string, card any) (string, error) {
	s.mu.Lock()
	s.n++
	id := fmt.Sprintf("om_eph_%d", s.n)
	s.mu.Unlock()
	if err := s.enter("send"); err != nil {
		return "", err
	}
	s.record(call{Op: "send", ChatID: chatID, OpenID: openID, ID: id, Card: card})
	return id, nil
}

func (s *recSender) DeleteEphemeral(_ context.Context, messageID string) error {
	if err := s.enter("delete"); err != nil {
		return err
	}
	s.record(call{Op: "delete", ID: messageID})
	return nil
}

func (s *recSender) PostCard(_ context.Context, chatID string, card any, uuid string) (string, error) {
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
		s.record(call{Op: "post", ChatID: chatID, ID: id, UUID: uuid, Card: card})
	}
	return id, nil
}

func (s *recSender) SendToUser(_ context.Context, openID string, card any, uuid string) (string, error) {
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
		s.record(call{Op: "dm", OpenID: openID, ID: id, UUID: uuid, Card: card})
	}
	return id, nil
}

func (s *recSender) UpdateCard(_ context.Context, messageID string, card any) error {
	if err := s.enter("update"); err != nil {
		return err
	}
	s.record(call{Op: "update", ID: messageID, Card: card})
	return nil
}

// ops returns the ops of the recorded calls, in order.
func (s *recSender) ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := make([]string, len(s.calls))
	for i, c := range s.calls {
		ops[i] = c.Op + " " + c.ID
	}
	return ops
}

func (s *recSender) only(t *testing.T, op string) []call {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []call
	for _, c := range s.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// job is one enqueued job.
type job struct {
	Kind JobKind
	ID   string
}

// recJobs records enqueued jobs. With inline set, Enqueue also runs the job
// at once, as a queue with no latency would; a failing inline run is kept
// in errs (the real queue would retry it).
type recJobs struct {
	mu     sync.Mutex
	jobs   []job
	fail   error
	inline *Engine
	errs   []error
}

var _ Jobs = (*recJobs)(nil)

func (j *recJobs) Enqueue(ctx context.Context, kind JobKind, id string) error {
	j.mu.Lock()
	if j.fail != nil {
		err := j.fail
		j.fail = nil
		j.mu.Unlock()
		return err
	}
	j.jobs = append(j.jobs, job{kind, id})
	e := j.inline
	j.mu.Unlock()
	if e != nil {
		if err := e.RunJob(ctx, kind, id); err != nil {
			j.mu.Lock()
			j.errs = append(j.errs, err)
			j.mu.Unlock()
		}
	}
	return nil
}

func (j *recJobs) list() []job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]job(nil), j.jobs...)
}

// testNow is 2024-11-14 16:00 in Shanghai.
var testNow = time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)

// Ids of the worked examples of docs/feishu-platform.md §14.
const (
	botID   = "ou_7d8a6e6df7621556ce0d21922b676706"
	userID  = "ou_84aad35d084aa403a838cf73ee18467"
	bobID   = "ou_0b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"
	chatID  = "oc_5ad11d72b830411d72b836c20"
	otherID = "ou_99999999999999999999999999999999"
)

type env struct {
	ran    int // jobs run by drain so far
	e      *Engine
	store  *memStore
	sender *recSender
	jobs   *recJobs
	clock  *testClock
	admins map[string]bool
	// rules and chats are read by the engine on every call, so a test may
	// change them after newEnv.
	rules map[string]Rule
	chats *fakeChats
}

// fakeChats answers chat lookups from a map; a chat it does not know is an
// ordinary group, and err, when set, fails every lookup.
type fakeChats struct {
	mu    sync.Mutex
	m     map[string]*ChatInfo
	err   error
	calls int
}

func (f *fakeChats) ChatInfo(_ context.Context, chatID string) (*ChatInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	if ch, ok := f.m[chatID]; ok {
		return ch, nil
	}
	return &ChatInfo{Mode: ChatModeGroup, Status: "normal"}, nil
}

func (f *fakeChats) set(chatID string, ch *ChatInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[chatID] = ch
}

func newEnv(t *testing.T) *env {
	t.Helper()
	v := &env{store: newMemStore(), sender: newRecSender(), jobs: &recJobs{}, clock: &testClock{now: testNow},
		admins: map[string]bool{}, rules: map[string]Rule{}, chats: &fakeChats{m: map[string]*ChatInfo{}}}
	n := 0
	var mu sync.Mutex
	v.e = NewDefault(Deps{
		Store:     v.store,
		Sender:    v.sender,
		Jobs:      v.jobs,
		Clock:     v.clock.Now,
		Admins:    func(_, openID string) bool { return v.admins[openID] },
		Rules:     v.rules,
		Chats:     v.chats,
		Logger:    zaptest.NewLogger(t),
		BotOpenID: func() string { return botID },
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("itx_test%d", n)
		},
	})
	return v
}

// message is a group message from userID with the bot mentioned as
// @_user_1 and Bob as @_user_2.
func message(text string) Message {
	return Message{
		EventID: "ev_1", TenantKey: "tk", MessageID: "om_cmd", ChatID: chatID, ChatType: "group",
		SenderID: userID, SenderType: "user", MessageType: "text", Text: text,
		Mentions: []Mention{{Key: "@_user_1", OpenID: botID, Name: "TodoBot"}, {Key: "@_user_2", OpenID: bobID, Name: "Bob"}},
	}
}

// start handles text and returns the interaction it created.
func (v *env) start(t *testing.T, text string) *Interaction {
	t.Helper()
	if err := v.e.HandleMessage(context.Background(), message(text)); err != nil {
		t.Fatalf("HandleMessage(%q): %v", text, err)
	}
	jobs := v.jobs.list()
	if len(jobs) == 0 || jobs[len(jobs)-1].Kind != JobSendForm {
		t.Fatalf("HandleMessage(%q) enqueued %v, want a send_form", text, jobs)
	}
	return v.store.get(t, jobs[len(jobs)-1].ID)
}

func (v *env) run(t *testing.T, kind JobKind, id string) {
	t.Helper()
	if err := v.e.RunJob(context.Background(), kind, id); err != nil {
		t.Fatalf("RunJob(%s, %s): %v", kind, id, err)
	}
}

// click sends a callback from op for it's button action with form values.
func (v *env) click(t *testing.T, it *Interaction, op, action string, form map[string]any) Answer {
	t.Helper()
	ans, err := v.e.HandleAction(context.Background(), Action{
		EventID: "ev_click", OperatorID: op, ChatID: it.ChatID, Tag: "button", Timezone: "Asia/Shanghai",
		Value:     map[string]any{"flow": it.Flow, "action": action, "iid": it.ID},
		FormValue: form,
	})
	if err != nil {
		t.Fatalf("HandleAction(%s): %v", action, err)
	}
	return ans
}

func validForm() map[string]any {
	return map[string]any{"title": "Buy milk", "due_date": "2024-11-15 +0800", "assignee": bobID, "notes": ""}
}
