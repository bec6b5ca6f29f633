package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// Item kinds in the API.
const (
	KindTodo     = "todo"
	KindReminder = "reminder"
)

// maxItems bounds how many records of each kind one listing reads.
const maxItems = 200

// Item is one todo or reminder as the page shows it.
type Item struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"` // KindTodo or KindReminder
	Title    string `json:"title"`
	ChatID   string `json:"chat_id"`
	ChatName string `json:"chat_name"` // "" when unknown
	Status   string `json:"status"`    // todo: open/done; reminder: active/done/cancelled
	Open     bool   `json:"open"`      // an open todo or an active reminder
	// Due is a todo's due date (a calendar date, "2024-11-15", the same in
	// every zone) or an active reminder's next occurrence (RFC 3339 with
	// the reminder's own offset).
	Due      string `json:"due,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	// Role says how the item concerns the member: "creator", "assignee"
	// (todos) or "addressed" (a reminder that mentions them).
	Role string `json:"role"`
	// Actions are what the member may press now, as the group card shows
	// it and the flow allows it (flows.WebDone, ...); never null.
	Actions   []string  `json:"actions"`
	CreatedAt time.Time `json:"created_at"`
	// ClosedAt and ClosedBy say who closed it and when: a todo marked
	// done, a reminder cancelled.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	ClosedBy string    `json:"closed_by,omitempty"`
}

// record is an item with what the routes need beyond the page's view.
type record struct {
	Item
	flow   string // the flow that owns it ("todo", "remind")
	locale string // the record's language
}

// flowOf names the flow of each item kind.
var flowOf = map[string]string{KindTodo: todo.Flow{}.Name(), KindReminder: remind.Flow{}.Name()}

// handleItems is GET /app/api/items[?kind=todo|reminder][&state=open|done]:
// the session member's todos (assigned or created) and reminders (created
// or addressed to them) across chats, newest first.
func (h *Handler) handleItems(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r.Context())
	q := r.URL.Query()
	kind, st := q.Get("kind"), q.Get("state")
	if !slices.Contains([]string{"", KindTodo, KindReminder}, kind) || !slices.Contains([]string{"", "open", "done"}, st) {
		writeError(w, http.StatusBadRequest, "kind must be todo or reminder, state open or done")
		return
	}
	admin := h.adminCheck(r.Context(), s)
	var items []Item
	for _, k := range []string{KindTodo, KindReminder} {
		if kind != "" && kind != k {
			continue
		}
		got, err := h.memberItems(r.Context(), s, k, admin)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		items = append(items, got...)
	}
	out := make([]Item, 0, len(items))
	for _, it := range items {
		if st == "" || (st == "open") == it.Open {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int { return b.CreatedAt.Compare(a.CreatedAt) })
	h.nameChats(r.Context(), out)
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// handleItem is GET /app/api/items/{id}: one of the member's items; any
// other id (another member's item, none at all) is a 404 alike.
func (h *Handler) handleItem(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.itemOr404(w, r)
	if ok {
		writeJSON(w, http.StatusOK, rec.Item)
	}
}

// itemOr404 loads the item of the route's {id} for the session's member,
// with its chat's name, or answers 404 (or 503) and returns false.
func (h *Handler) itemOr404(w http.ResponseWriter, r *http.Request) (record, bool) {
	s := sessionFrom(r.Context())
	rec, err := h.item(r.Context(), s, chi.URLParam(r, "id"))
	switch {
	case errors.Is(err, flows.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such item")
		return record{}, false
	case err != nil:
		h.fail(w, r, err)
		return record{}, false
	}
	items := []Item{rec.Item}
	h.nameChats(r.Context(), items)
	rec.Item = items[0]
	return rec, true
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("webapp: cannot read items", zap.String("path", r.URL.Path), zap.Error(err))
	writeError(w, http.StatusServiceUnavailable, "cannot read items; try again")
}

// kindOfID tells an item's kind from its id's prefix, and checks the id is
// one botd could have made; "" for anything else.
func kindOfID(id string) string {
	if len(id) > 128 || strings.ContainsFunc(id, func(c rune) bool {
		return c != '_' && c != '-' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9')
	}) {
		return ""
	}
	switch {
	case strings.HasPrefix(id, "td_"):
		return KindTodo
	case strings.HasPrefix(id, "rm_"):
		return KindReminder
	}
	return ""
}

// storeKind is the record store's kind of an item kind.
func storeKind(kind string) string {
	if kind == KindTodo {
		return todo.Kind
	}
	return remind.Kind
}

// item loads one record by id and returns it only if it concerns the
// member; otherwise flows.ErrNotFound, never a hint that it exists.
func (h *Handler) item(ctx context.Context, s *session, id string) (record, error) {
	kind := kindOfID(id)
	if kind == "" {
		return record{}, flows.ErrNotFound
	}
	stored, err := h.records.Record(ctx, storeKind(kind), id)
	if err != nil {
		return record{}, err
	}
	rec, ok, err := decodeItem(kind, stored, s, h.adminCheck(ctx, s))
	if err != nil {
		return record{}, err
	}
	if !ok {
		return record{}, flows.ErrNotFound
	}
	return rec, nil
}

// memberItems lists the member's records of kind from their member index.
func (h *Handler) memberItems(ctx context.Context, s *session, kind string, admin func(chatID string) bool) ([]Item, error) {
	recs, _, err := h.records.ListRecords(ctx, storeKind(kind), flows.MemberIndex(s.TenantKey, s.OpenID), 0, maxItems)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, stored := range recs {
		rec, ok, err := decodeItem(kind, stored, s, admin)
		if err != nil {
			h.log.Warn("webapp: unreadable record", zap.String("kind", kind), zap.String("id", stored.ID), zap.Error(err))
			continue
		}
		if ok {
			out = append(out, rec.Item)
		}
	}
	return out, nil
}

func decodeItem(kind string, stored flows.StoredRecord, s *session, admin func(chatID string) bool) (record, bool, error) {
	if kind == KindTodo {
		return todoItem(stored, s, admin)
	}
	return reminderItem(stored, s, admin)
}

// todoItem is the record as an item, and whether it concerns the member of
// s: the index is only a hint, the record decides.
func todoItem(stored flows.StoredRecord, s *session, admin func(chatID string) bool) (record, bool, error) {
	var t todo.Todo
	if err := json.Unmarshal(stored.Data, &t); err != nil {
		return record{}, false, err
	}
	role := ""
	switch {
	case t.TenantKey != s.TenantKey:
	case t.CreatorID == s.OpenID:
		role = "creator"
	case t.Assignee == s.OpenID:
		role = "assignee"
	}
	if role == "" {
		return record{}, false, nil
	}
	it := Item{
		ID: t.ID, Kind: KindTodo, Title: t.Title, ChatID: t.ChatID, Status: string(t.Status),
		Open: t.Status == todo.Open, Timezone: t.Timezone, Role: role, CreatedAt: t.CreatedAt,
		Actions: nonNil(todo.WebActions(&t, s.OpenID, func() bool { return admin(t.ChatID) })),
	}
	if t.Status == todo.Done {
		it.ClosedAt, it.ClosedBy = t.ClosedAt, t.ClosedBy
	}
	if _, _, ok := flows.ParseDate(t.Due); ok && t.Due != "" {
		it.Due = t.Due // a calendar date, the same everywhere
	}
	return record{Item: it, flow: flowOf[KindTodo], locale: t.Locale}, true, nil
}

// reminderItem is todoItem for reminders; its due time is the next one, in
// the reminder's zone.
func reminderItem(stored flows.StoredRecord, s *session, admin func(chatID string) bool) (record, bool, error) {
	var rm remind.Reminder
	if err := json.Unmarshal(stored.Data, &rm); err != nil {
		return record{}, false, err
	}
	role := ""
	switch {
	case rm.TenantKey != s.TenantKey:
	case rm.CreatorID == s.OpenID:
		role = "creator"
	case rm.Notify == remind.NotifyPeople && slices.Contains(rm.People, s.OpenID):
		role = "addressed"
	}
	if role == "" {
		return record{}, false, nil
	}
	it := Item{
		ID: rm.ID, Kind: KindReminder, Title: rm.What, ChatID: rm.ChatID, Status: string(rm.Status),
		Open: rm.Status == remind.Active, Timezone: rm.Timezone, Role: role, CreatedAt: rm.CreatedAt,
		Actions: nonNil(remind.WebActions(&rm, s.OpenID, func() bool { return admin(rm.ChatID) })),
	}
	if rm.Status == remind.Cancelled {
		it.ClosedAt, it.ClosedBy = rm.CancelledAt, rm.CancelledBy
	}
	if !rm.NextDue.IsZero() && rm.Status == remind.Active {
		it.Due = rm.NextDue.In(zone(rm.Timezone)).Format(time.RFC3339)
	}
	return record{Item: it, flow: flowOf[KindReminder], locale: rm.Locale}, true, nil
}

func zone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// adminCheck returns whether the session's member is an admin of a chat,
// asked of the engine at most once per chat for one request (the flows
// ask it only when nothing else decides). Without an engine, nobody is.
func (h *Handler) adminCheck(ctx context.Context, s *session) func(chatID string) bool {
	var mu sync.Mutex
	known := map[string]bool{}
	return func(chatID string) bool {
		if h.engine == nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if v, ok := known[chatID]; ok {
			return v
		}
		v := h.engine.IsAdmin(ctx, chatID, s.OpenID)
		known[chatID] = v
		return v
	}
}

// Chat names come from the engine's chat directory (cached for every
// replica); a listing looks up at most maxChatLookups chats, a few at a
// time, within chatNamesBudget. A chat it cannot name shows as "".
const (
	maxChatLookups    = 50
	chatLookupsAtOnce = 8
	chatNamesBudget   = 3 * time.Second
)

// nameChats fills in ChatName.
func (h *Handler) nameChats(ctx context.Context, items []Item) {
	var ids []string
	for _, it := range items {
		if !slices.Contains(ids, it.ChatID) {
			ids = append(ids, it.ChatID)
		}
	}
	names := h.chatNames(ctx, ids)
	for i := range items {
		items[i].ChatName = names[items[i].ChatID]
	}
}

// chatNames names the first maxChatLookups of ids; a chat it cannot name
// is left out.
func (h *Handler) chatNames(ctx context.Context, ids []string) map[string]string {
	names := make(map[string]string, len(ids))
	if h.chats == nil || len(ids) == 0 {
		return names
	}
	ids = ids[:min(len(ids), maxChatLookups)]
	ctx, cancel := context.WithTimeout(ctx, chatNamesBudget)
	defer cancel()
	var mu sync.Mutex
	sem := make(chan struct{}, chatLookupsAtOnce)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ch, err := h.chats.ChatInfo(ctx, id)
			if err != nil || ch.Name == "" {
				h.log.Debug("webapp: no chat name", zap.String("chat_id", id), zap.Error(err))
				return
			}
			mu.Lock()
			names[id] = ch.Name
			mu.Unlock()
		})
	}
	wg.Wait()
	return names
}
