package state_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

func TestRecordCAS(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Client(t), time.Hour, nil)
	rec := func(version int64, data string) flows.StoredRecord {
		return flows.StoredRecord{Kind: "rem", ID: "rm_a", Version: version, Data: []byte(data)}
	}
	if err := s.CreateRecord(ctx, rec(0, `{"what":"standup","status":"active"}`)); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := s.CreateRecord(ctx, rec(0, `{}`)); !errors.Is(err, flows.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	a, _ := s.Record(ctx, "rem", "rm_a")
	b, _ := s.Record(ctx, "rem", "rm_a")
	if a.Version != 1 {
		t.Fatalf("created at version %d, want 1", a.Version)
	}
	if err := s.UpdateRecord(ctx, rec(a.Version, `{"what":"standup","status":"cancelled"}`)); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := s.UpdateRecord(ctx, rec(b.Version, `{"what":"lost update"}`)); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	got, err := s.Record(ctx, "rem", "rm_a")
	if err != nil || string(got.Data) != `{"what":"standup","status":"cancelled"}` || got.Version != 2 {
		t.Fatalf("after updates: %+v %s, %v", got, got.Data, err)
	}
	if _, err := s.Record(ctx, "rem", "rm_missing"); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	if err := s.UpdateRecord(ctx, flows.StoredRecord{Kind: "rem", ID: "rm_missing", Version: 1, Data: []byte(`{}`)}); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("update of a missing record: %v, want ErrNotFound", err)
	}
}

// Records keep the keys reminders and todos always had, so an upgrade
// finds them: botd:rem:{id}, botd:todo:{id}, botd:todos:open:{chat}.
func TestRecordKeys(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	s := state.New(rdb, time.Hour, nil)
	if err := s.CreateRecord(ctx, flows.StoredRecord{Kind: "rem", ID: "rm_a", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	open := []flows.Index{{Name: "open:oc_1", Score: 5, In: true}}
	if err := s.CreateRecord(ctx, flows.StoredRecord{Kind: "todo", ID: "td_a", Data: []byte(`{}`), Index: open}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"botd:rem:rm_a", "botd:todo:td_a", "botd:todos:open:oc_1"} {
		if n, err := rdb.Exists(ctx, statetest.Key(rdb, key)).Result(); err != nil || n != 1 {
			t.Errorf("key %s: %d, %v", key, n, err)
		}
	}
	if ttl := rdb.PTTL(ctx, statetest.Key(rdb, "botd:todo:td_a")).Val(); ttl <= 0 || ttl > state.RecordTTL {
		t.Errorf("record TTL %v, want up to %v", ttl, state.RecordTTL)
	}
}

// A kind or id that could reach another key is refused, and nothing is
// written.
func TestRecordKindsAndIDsChecked(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	s := state.New(rdb, time.Hour, nil)
	for _, r := range []flows.StoredRecord{
		{Kind: "itx", ID: "x"}, {Kind: "claim", ID: "x"}, {Kind: "member", ID: "x"}, {Kind: "todos", ID: "x"},
		{Kind: "Todo", ID: "x"}, {Kind: "", ID: "x"}, {Kind: "todo", ID: ""}, {Kind: "todo", ID: "a:b"},
		{Kind: "todo", ID: "x", Index: []flows.Index{{Name: "open chat"}}},
		{Kind: "todo", ID: "x", Index: []flows.Index{{Name: "open:{oc_1}"}}}, {Kind: "cmd", ID: "x"},
		{Kind: "rl", ID: "x"}, {Kind: "ixv", ID: "x"},
	} {
		r.Data = []byte(`{}`)
		if err := s.CreateRecord(ctx, r); err == nil {
			t.Errorf("created %+v", r)
		}
	}
	if keys := statetest.Keys(t, rdb, "*"); len(keys) != 0 {
		t.Errorf("refused records wrote %v", keys)
	}
}

// modes runs test with a store of each way botd writes records on the
// test's Redis: in one script on one server, in steps on a cluster (and,
// to test that code everywhere, on one server too).
func modes(t *testing.T, test func(t *testing.T, s *state.Store, rdb redis.UniversalClient)) {
	t.Run("steps", func(t *testing.T) {
		rdb := statetest.Client(t)
		test(t, state.Stepped(state.New(rdb, time.Hour, nil)), rdb)
	})
	t.Run("default", func(t *testing.T) {
		rdb := statetest.Client(t)
		test(t, state.New(rdb, time.Hour, nil), rdb)
	})
}

func TestRecordIndex(t *testing.T) { modes(t, testRecordIndex) }

func testRecordIndex(t *testing.T, s *state.Store, _ redis.UniversalClient) {
	ctx := context.Background()
	todo := func(id, chat string, created int, open bool, version int64) flows.StoredRecord {
		return flows.StoredRecord{Kind: "todo", ID: id, Version: version, Data: []byte(fmt.Sprintf(`{"id":%q}`, id)),
			Index: []flows.Index{{Name: "open:" + chat, Score: float64(created), In: open}}}
	}
	for i := range 3 {
		if err := s.CreateRecord(ctx, todo(fmt.Sprintf("td_%d", i), "oc_1", i, true, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateRecord(ctx, todo("td_other", "oc_2", 9, true, 0)); err != nil {
		t.Fatal(err)
	}
	list, total, err := s.ListRecords(ctx, "todo", "open:oc_1", 0, 2)
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != "td_2" || list[1].ID != "td_1" {
		t.Fatalf("page 1: %v total %d, %v", ids(list), total, err)
	}
	if list[0].Version != 1 || string(list[0].Data) != `{"id":"td_2"}` {
		t.Fatalf("listed record: %+v", list[0])
	}
	if err := s.UpdateRecord(ctx, todo("td_2", "oc_1", 2, false, 1)); err != nil {
		t.Fatal(err)
	}
	list, total, _ = s.ListRecords(ctx, "todo", "open:oc_1", 0, 10)
	if total != 2 || len(list) != 2 || list[0].ID != "td_1" {
		t.Fatalf("after done: %v total %d", ids(list), total)
	}
	if err := s.UpdateRecord(ctx, todo("td_2", "oc_1", 2, true, 2)); err != nil {
		t.Fatal(err)
	}
	if list, total, _ = s.ListRecords(ctx, "todo", "open:oc_1", 0, 10); total != 3 || list[0].ID != "td_2" {
		t.Fatalf("after reopen: %v total %d, want td_2 first again", ids(list), total)
	}
	// A conflicting update leaves the index as it was.
	if err := s.UpdateRecord(ctx, todo("td_2", "oc_1", 2, false, 1)); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	if _, total, _ = s.ListRecords(ctx, "todo", "open:oc_1", 0, 10); total != 3 {
		t.Fatalf("a refused update changed the index: total %d", total)
	}
}

// An id left in an index after its record expired is dropped when met.
func TestRecordIndexDropsExpired(t *testing.T) { modes(t, testRecordIndexDropsExpired) }

func testRecordIndexDropsExpired(t *testing.T, s *state.Store, rdb redis.UniversalClient) {
	ctx := context.Background()
	for i := range 2 {
		r := flows.StoredRecord{Kind: "todo", ID: fmt.Sprintf("td_%d", i), Data: []byte(`{}`),
			Index: []flows.Index{{Name: "open:oc_1", Score: float64(i), In: true}}}
		if err := s.CreateRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rdb.Del(ctx, statetest.Key(rdb, "botd:todo:td_1"))
	state.SetGrace(s, 0) // the entry is as old as it gets
	list, total, err := s.ListRecords(ctx, "todo", "open:oc_1", 0, 10)
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != "td_0" {
		t.Fatalf("list: %v total %d, %v", ids(list), total, err)
	}
	if n := rdb.ZCard(ctx, statetest.Key(rdb, "botd:todos:open:oc_1")).Val(); n != 1 {
		t.Fatalf("index holds %d ids, want the expired one dropped", n)
	}
}

func ids(rs []flows.StoredRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestDueSet(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Client(t), time.Hour, nil)
	base := time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)
	for i, m := range []string{"rem:a:1", "rem:b:2", "rem:c:3"} {
		if err := s.Schedule(ctx, m, base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Schedule(ctx, "rem:a:1", base) // again: still one member
	due, err := s.Due(ctx, base.Add(90*time.Second), 10)
	if err != nil || fmt.Sprint(due) != "[rem:a:1 rem:b:2]" {
		t.Fatalf("due = %v, %v", due, err)
	}
	if err := s.Unschedule(ctx, due...); err != nil {
		t.Fatal(err)
	}
	if due, _ = s.Due(ctx, base.Add(time.Hour), 10); fmt.Sprint(due) != "[rem:c:3]" {
		t.Fatalf("after unschedule: %v", due)
	}
}
