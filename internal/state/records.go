package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// Reminders and todos are stored like interactions (a hash of version and
// JSON, created with createCmd, changed with a compare-and-set), without a
// TTL of their own: a reminder lives as long as its series, a todo as long
// as its card. RecordTTL bounds both after their last change.
const RecordTTL = 400 * 24 * time.Hour

var (
	_ flows.ReminderStore = (*Store)(nil)
	_ flows.TodoStore     = (*Store)(nil)
	_ flows.DueSet        = (*Store)(nil)
)

// createRecord saves v (whose Version the caller set to 1) unless key exists.
func (s *Store) createRecord(ctx context.Context, key, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state: create %s: %w", id, err)
	}
	n, err := createCmd.Run(ctx, s.rdb, []string{key}, data, RecordTTL.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("state: create %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("state: create %s: %w", id, flows.ErrExists)
	}
	return nil
}

// loadRecord reads the JSON at key into v and returns the stored version.
func (s *Store) loadRecord(ctx context.Context, key, id string, v any) (int64, error) {
	vals, err := s.rdb.HMGet(ctx, key, "v", "d").Result()
	if err != nil {
		return 0, fmt.Errorf("state: load %s: %w", id, err)
	}
	data, ok := vals[1].(string)
	if !ok {
		return 0, fmt.Errorf("state: load %s: %w", id, flows.ErrNotFound)
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return 0, fmt.Errorf("state: decode %s: %w", id, err)
	}
	var version int64
	if s, ok := vals[0].(string); ok {
		_, _ = fmt.Sscan(s, &version)
	}
	return version, nil
}

// casResult maps the answer of updateCmd and updateTodoCmd to an error.
func casResult(id string, version int64, n int, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("state: update %s: %w", id, err)
	case n == 1:
		return nil
	case n == 0:
		return fmt.Errorf("state: update %s at version %d: %w", id, version, flows.ErrConflict)
	default:
		return fmt.Errorf("state: update %s: %w", id, flows.ErrNotFound)
	}
}

// CreateReminder implements flows.ReminderStore.
func (s *Store) CreateReminder(ctx context.Context, r *flows.Reminder) error {
	saved := *r
	saved.Version = 1
	saved.CreatedAt, saved.UpdatedAt = s.now(), s.now()
	if err := s.createRecord(ctx, reminderKey(r.ID), r.ID, &saved); err != nil {
		return err
	}
	*r = saved
	return nil
}

// Reminder implements flows.ReminderStore.
func (s *Store) Reminder(ctx context.Context, id string) (*flows.Reminder, error) {
	var r flows.Reminder
	v, err := s.loadRecord(ctx, reminderKey(id), id, &r)
	if err != nil {
		return nil, err
	}
	r.Version = v
	return &r, nil
}

// UpdateReminder implements flows.ReminderStore.
func (s *Store) UpdateReminder(ctx context.Context, r *flows.Reminder) error {
	saved := *r
	saved.Version = r.Version + 1
	saved.UpdatedAt = s.now()
	data, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("state: update %s: %w", r.ID, err)
	}
	n, err := updateCmd.Run(ctx, s.rdb, []string{reminderKey(r.ID)}, r.Version, data, RecordTTL.Milliseconds()).Int()
	if err := casResult(r.ID, r.Version, n, err); err != nil {
		return err
	}
	*r = saved
	return nil
}

// updateTodoCmd is updateCmd plus the chat's index of open todos.
//
// KEYS[1] todo key  KEYS[2] the chat's open-todo index (zset)
// ARGV[1] expected version  ARGV[2] new JSON  ARGV[3] TTL in ms
// ARGV[4] todo id  ARGV[5] "1" when open  ARGV[6] score (created, ms)
// Returns 1 when updated, 0 on a version mismatch, -1 when the key is gone.
var updateTodoCmd = redis.NewScript(`
local v = redis.call("HGET", KEYS[1], "v")
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "v", tonumber(ARGV[1]) + 1, "d", ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
if ARGV[5] == "1" then
  redis.call("ZADD", KEYS[2], ARGV[6], ARGV[4])
else
  redis.call("ZREM", KEYS[2], ARGV[4])
end
return 1`)

// CreateTodo implements flows.TodoStore; the todo joins its chat's index.
func (s *Store) CreateTodo(ctx context.Context, t *flows.Todo) error {
	saved := *t
	saved.Version = 1
	saved.CreatedAt, saved.UpdatedAt = s.now(), s.now()
	if err := s.createRecord(ctx, todoKey(t.ID), t.ID, &saved); err != nil {
		return err
	}
	if saved.Status == flows.TodoOpen {
		if err := s.rdb.ZAdd(ctx, openTodosKey(t.ChatID), redis.Z{Score: float64(saved.CreatedAt.UnixMilli()), Member: t.ID}).Err(); err != nil {
			return fmt.Errorf("state: index todo %s: %w", t.ID, err)
		}
	}
	*t = saved
	return nil
}

// Todo implements flows.TodoStore.
func (s *Store) Todo(ctx context.Context, id string) (*flows.Todo, error) {
	var t flows.Todo
	v, err := s.loadRecord(ctx, todoKey(id), id, &t)
	if err != nil {
		return nil, err
	}
	t.Version = v
	return &t, nil
}

// UpdateTodo implements flows.TodoStore.
func (s *Store) UpdateTodo(ctx context.Context, t *flows.Todo) error {
	saved := *t
	saved.Version = t.Version + 1
	saved.UpdatedAt = s.now()
	data, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("state: update %s: %w", t.ID, err)
	}
	open := "0"
	if t.Status == flows.TodoOpen {
		open = "1"
	}
	n, err := updateTodoCmd.Run(ctx, s.rdb, []string{todoKey(t.ID), openTodosKey(t.ChatID)},
		t.Version, data, RecordTTL.Milliseconds(), t.ID, open, t.CreatedAt.UnixMilli()).Int()
	if err := casResult(t.ID, t.Version, n, err); err != nil {
		return err
	}
	*t = saved
	return nil
}

// OpenTodos implements flows.TodoStore. Ids whose todo has expired are
// dropped from the index as they are met.
func (s *Store) OpenTodos(ctx context.Context, chatID string, offset, limit int) ([]*flows.Todo, int, error) {
	key := openTodosKey(chatID)
	total, err := s.rdb.ZCard(ctx, key).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("state: count open todos of %s: %w", chatID, err)
	}
	ids, err := s.rdb.ZRevRange(ctx, key, int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("state: list open todos of %s: %w", chatID, err)
	}
	out := make([]*flows.Todo, 0, len(ids))
	for _, id := range ids {
		t, err := s.Todo(ctx, id)
		if err != nil {
			if isNotFound(err) {
				_ = s.rdb.ZRem(ctx, key, id).Err()
				total--
				continue
			}
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, int(total), nil
}

// Schedule implements flows.DueSet.
func (s *Store) Schedule(ctx context.Context, member string, at time.Time) error {
	if err := s.rdb.ZAdd(ctx, DueKey, redis.Z{Score: float64(at.UnixMilli()), Member: member}).Err(); err != nil {
		return fmt.Errorf("state: schedule %s: %w", member, err)
	}
	return nil
}

// Unschedule implements flows.DueSet.
func (s *Store) Unschedule(ctx context.Context, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	if err := s.rdb.ZRem(ctx, DueKey, args...).Err(); err != nil {
		return fmt.Errorf("state: unschedule %v: %w", members, err)
	}
	return nil
}

// Due returns up to limit members due at now, earliest first; the
// scheduler (internal/schedule) reads them, enqueues their jobs and then
// Unschedules them.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	members, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: DueKey, Start: "-inf", Stop: fmt.Sprint(now.UnixMilli()), ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read due set: %w", err)
	}
	return members, nil
}

func isNotFound(err error) bool { return errors.Is(err, flows.ErrNotFound) }
