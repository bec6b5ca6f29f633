package flows

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"
)

// memStore keeps reminders and todos as interactions: JSON with a real
// compare-and-set on Version, so tests never share memory with it.

var (
	_ ReminderStore = (*memStore)(nil)
	_ TodoStore     = (*memStore)(nil)
	_ DueSet        = (*memStore)(nil)
)

func (s *memStore) create(id string, v any, version *int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.records[id]; ok {
		return ErrExists
	}
	*version = 1
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.records[id] = b
	s.order = append(s.order, id)
	return nil
}

func (s *memStore) load(id string, v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.records[id]
	if !ok {
		return ErrNotFound
	}
	return json.Unmarshal(b, v)
}

// cas saves v if the stored version is still *version, then bumps it.
func (s *memStore) cas(id string, v any, version *int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failRecord; err != nil {
		s.failRecord = nil
		return err
	}
	b, ok := s.records[id]
	if !ok {
		return ErrNotFound
	}
	var cur struct {
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(b, &cur); err != nil {
		return err
	}
	if cur.Version != *version {
		return ErrConflict
	}
	*version++
	nb, err := json.Marshal(v)
	if err != nil {
		*version--
		return err
	}
	s.records[id] = nb
	return nil
}

func (s *memStore) CreateReminder(_ context.Context, r *Reminder) error {
	return s.create(r.ID, r, &r.Version)
}

func (s *memStore) Reminder(_ context.Context, id string) (*Reminder, error) {
	var r Reminder
	if err := s.load(id, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *memStore) UpdateReminder(_ context.Context, r *Reminder) error {
	return s.cas(r.ID, r, &r.Version)
}

func (s *memStore) CreateTodo(_ context.Context, t *Todo) error { return s.create(t.ID, t, &t.Version) }

func (s *memStore) Todo(_ context.Context, id string) (*Todo, error) {
	var t Todo
	if err := s.load(id, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

func (s *memStore) UpdateTodo(_ context.Context, t *Todo) error { return s.cas(t.ID, t, &t.Version) }

func (s *memStore) OpenTodos(ctx context.Context, chatID string, offset, limit int) ([]*Todo, int, error) {
	s.mu.Lock()
	ids := slices.Clone(s.order)
	s.mu.Unlock()
	slices.Reverse(ids) // newest first
	var open []*Todo
	for _, id := range ids {
		t, err := s.Todo(ctx, id)
		if err != nil || t.ChatID != chatID || t.Status != TodoOpen || t.Title == "" {
			continue
		}
		open = append(open, t)
	}
	total := len(open)
	if offset > total {
		offset = total
	}
	return open[offset:min(total, offset+limit)], total, nil
}

func (s *memStore) Schedule(_ context.Context, member string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.due[member] = at
	return nil
}

func (s *memStore) Unschedule(_ context.Context, members ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range members {
		delete(s.due, m)
	}
	return nil
}

// takeDue removes and returns the members due at now, earliest first, as
// the scheduler would.
func (s *memStore) takeDue(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for m, at := range s.due {
		if !at.After(now) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return s.due[out[i]].Before(s.due[out[j]]) })
	for _, m := range out {
		delete(s.due, m)
	}
	return out
}
