package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
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
	Status   string `json:"status"` // todo: open/done; reminder: active/done/cancelled
	Open     bool   `json:"open"`   // an open todo or an active reminder
	Due      string `json:"due,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	// Role says how the item concerns the member: "creator", "assignee"
	// (todos) or "addressed" (a reminder that mentions them).
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

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
	var items []Item
	if kind != KindReminder {
		todos, err := h.memberTodos(r.Context(), s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		items = append(items, todos...)
	}
	if kind != KindTodo {
		rems, err := h.memberReminders(r.Context(), s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		items = append(items, rems...)
	}
	out := make([]Item, 0, len(items))
	for _, it := range items {
		if st == "" || (st == "open") == it.Open {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int { return b.CreatedAt.Compare(a.CreatedAt) })
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// handleItem is GET /app/api/items/{id}: one of the member's items; any
// other id (another member's item, none at all) is a 404 alike.
func (h *Handler) handleItem(w http.ResponseWriter, r *http.Request) {
	it, err := h.item(r.Context(), sessionFrom(r.Context()), chi.URLParam(r, "id"))
	switch {
	case errors.Is(err, flows.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such item")
	case err != nil:
		h.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, it)
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("webapp: cannot read items", zap.String("path", r.URL.Path), zap.Error(err))
	writeError(w, http.StatusServiceUnavailable, "cannot read items; try again")
}

// item loads one record by id and returns it only if it concerns the
// member; otherwise flows.ErrNotFound, never a hint that it exists.
func (h *Handler) item(ctx context.Context, s *session, id string) (Item, error) {
	var kind string
	switch {
	case strings.HasPrefix(id, "td_"):
		kind = todo.Kind
	case strings.HasPrefix(id, "rm_"):
		kind = remind.Kind
	default:
		return Item{}, flows.ErrNotFound
	}
	if len(id) > 128 || strings.ContainsFunc(id, func(c rune) bool {
		return c != '_' && c != '-' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9')
	}) {
		return Item{}, flows.ErrNotFound
	}
	rec, err := h.records.Record(ctx, kind, id)
	if err != nil {
		return Item{}, err
	}
	var it Item
	var ok bool
	if kind == todo.Kind {
		it, ok, err = todoItem(rec, s)
	} else {
		it, ok, err = reminderItem(rec, s)
	}
	if err != nil {
		return Item{}, err
	}
	if !ok {
		return Item{}, flows.ErrNotFound
	}
	return it, nil
}

func (h *Handler) memberTodos(ctx context.Context, s *session) ([]Item, error) {
	recs, _, err := h.records.ListRecords(ctx, todo.Kind, flows.MemberIndex(s.TenantKey, s.OpenID), 0, maxItems)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, rec := range recs {
		it, ok, err := todoItem(rec, s)
		if err != nil {
			h.log.Warn("webapp: unreadable todo", zap.String("id", rec.ID), zap.Error(err))
			continue
		}
		if ok {
			out = append(out, it)
		}
	}
	return out, nil
}

func (h *Handler) memberReminders(ctx context.Context, s *session) ([]Item, error) {
	recs, _, err := h.records.ListRecords(ctx, remind.Kind, flows.MemberIndex(s.TenantKey, s.OpenID), 0, maxItems)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, rec := range recs {
		it, ok, err := reminderItem(rec, s)
		if err != nil {
			h.log.Warn("webapp: unreadable reminder", zap.String("id", rec.ID), zap.Error(err))
			continue
		}
		if ok {
			out = append(out, it)
		}
	}
	return out, nil
}

// todoItem is the record as an Item, and whether it concerns the member of
// s: the index is only a hint, the record decides.
func todoItem(rec flows.StoredRecord, s *session) (Item, bool, error) {
	var t todo.Todo
	if err := json.Unmarshal(rec.Data, &t); err != nil {
		return Item{}, false, err
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
		return Item{}, false, nil
	}
	return Item{
		ID: t.ID, Kind: KindTodo, Title: t.Title, ChatID: t.ChatID, Status: string(t.Status),
		Open: t.Status == todo.Open, Due: t.Due, Timezone: t.Timezone, Role: role, CreatedAt: t.CreatedAt,
	}, true, nil
}

// reminderItem is todoItem for reminders; its due time is the next one, in
// the reminder's zone.
func reminderItem(rec flows.StoredRecord, s *session) (Item, bool, error) {
	var rm remind.Reminder
	if err := json.Unmarshal(rec.Data, &rm); err != nil {
		return Item{}, false, err
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
		return Item{}, false, nil
	}
	it := Item{
		ID: rm.ID, Kind: KindReminder, Title: rm.What, ChatID: rm.ChatID, Status: string(rm.Status),
		Open: rm.Status == remind.Active, Timezone: rm.Timezone, Role: role, CreatedAt: rm.CreatedAt,
	}
	if !rm.NextDue.IsZero() && rm.Status == remind.Active {
		loc, err := time.LoadLocation(rm.Timezone)
		if err != nil {
			loc = time.UTC
		}
		it.Due = rm.NextDue.In(loc).Format(time.RFC3339)
	}
	return it, true, nil
}
