package state_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// The cluster's stepped record writes (records.go), run on whatever Redis
// the test has: what a crash between the steps, or a step delayed past a
// later write, leaves behind, and what readers make of it.

func openTodo(id string, version int64, open bool) flows.StoredRecord {
	return flows.StoredRecord{Kind: "todo", ID: id, Version: version, Data: []byte(fmt.Sprintf(`{"id":%q,"open":%v}`, id, open)),
		Index: []flows.Index{{Name: "open:oc_s", Score: 1, In: open}}}
}

func listOpen(t *testing.T, s *state.Store) ([]string, int) {
	t.Helper()
	list, total, err := s.ListRecords(context.Background(), "todo", "open:oc_s", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ids(list), total
}

func indexed(t *testing.T, rdb redis.UniversalClient) int64 {
	t.Helper()
	return rdb.ZCard(context.Background(), statetest.Key(rdb, "botd:todos:open:oc_s")).Val()
}

func stepped(t *testing.T) (*state.Store, redis.UniversalClient) {
	rdb := statetest.Client(t)
	return state.Stepped(state.New(rdb, time.Hour, nil)), rdb
}

// A crash after a create's first step: the id is in the index and the
// record is not there. A reader neither shows it nor, while a write may
// still be in flight, removes it; once it is older than that, it does.
func TestSteppedCrashBeforeCreate(t *testing.T) {
	ctx := context.Background()
	s, rdb := stepped(t)
	if err := s.CreateRecord(ctx, openTodo("td_live", 0, true)); err != nil {
		t.Fatal(err)
	}
	if err := state.JoinOnly(ctx, s, openTodo("td_ghost", 0, true), 1); err != nil {
		t.Fatal(err)
	}
	if got, total := listOpen(t, s); fmt.Sprint(got) != "[td_live]" || total != 1 {
		t.Fatalf("listed %v (total %d), want td_live only", got, total)
	}
	if n := indexed(t, rdb); n != 2 {
		t.Fatalf("index holds %d, want the young entry kept (its create may be in flight)", n)
	}
	// The create completes after all: the reader left it in place.
	if err := s.CreateRecord(ctx, openTodo("td_ghost", 0, true)); err != nil {
		t.Fatal(err)
	}
	if got, _ := listOpen(t, s); len(got) != 2 {
		t.Fatalf("after the create completed: %v", got)
	}
	// Another ghost, and this time the grace has passed.
	if err := state.JoinOnly(ctx, s, openTodo("td_ghost2", 0, true), 1); err != nil {
		t.Fatal(err)
	}
	state.SetGrace(s, 0)
	if got, total := listOpen(t, s); len(got) != 2 || total != 2 {
		t.Fatalf("listed %v (total %d)", got, total)
	}
	if n := indexed(t, rdb); n != 2 {
		t.Fatalf("index holds %d, want the old ghost removed", n)
	}
}

// A crash after an update's compare-and-set, before it left the index:
// the record says out, the entry is for an older version. Readers skip
// it and remove it at once: no write in flight can need it.
func TestSteppedCrashBeforeLeave(t *testing.T) {
	ctx := context.Background()
	s, rdb := stepped(t)
	if err := s.CreateRecord(ctx, openTodo("td_a", 0, true)); err != nil {
		t.Fatal(err)
	}
	if err := state.CASOnly(ctx, s, openTodo("td_a", 1, false)); err != nil {
		t.Fatal(err)
	}
	if got, total := listOpen(t, s); len(got) != 0 || total != 0 {
		t.Fatalf("a closed todo listed as open: %v (total %d)", got, total)
	}
	if n := indexed(t, rdb); n != 0 {
		t.Fatalf("index holds %d, want the stale entry removed", n)
	}
}

// A write whose steps are delayed past a later write cannot undo it: a
// leave for version 2 arriving after version 3 joined is ignored, and so
// is a join for version 2 after version 3 left.
func TestSteppedLateStepIgnored(t *testing.T) {
	ctx := context.Background()
	s, rdb := stepped(t)
	if err := s.CreateRecord(ctx, openTodo("td_a", 0, true)); err != nil { // v1 open
		t.Fatal(err)
	}
	if err := s.UpdateRecord(ctx, openTodo("td_a", 1, false)); err != nil { // v2 closed
		t.Fatal(err)
	}
	if err := s.UpdateRecord(ctx, openTodo("td_a", 2, true)); err != nil { // v3 open
		t.Fatal(err)
	}
	if err := state.LeaveOnly(ctx, s, openTodo("td_a", 1, false), 2); err != nil { // v2's leave, late
		t.Fatal(err)
	}
	if got, _ := listOpen(t, s); fmt.Sprint(got) != "[td_a]" {
		t.Fatalf("a late leave of version 2 removed version 3's entry: %v", got)
	}
	if err := s.UpdateRecord(ctx, openTodo("td_a", 3, false)); err != nil { // v4 closed
		t.Fatal(err)
	}
	if err := state.JoinOnly(ctx, s, openTodo("td_a", 2, true), 3); err != nil { // v3's join, late
		t.Fatal(err)
	}
	// The late join is for an older version than the record's: readers
	// remove it at once.
	if got, total := listOpen(t, s); len(got) != 0 || total != 0 {
		t.Fatalf("a late join of version 3 listed a closed todo: %v (total %d)", got, total)
	}
	if n := indexed(t, rdb); n != 0 {
		t.Fatalf("index holds %d after the reader's pass", n)
	}
}

// Writers racing to open and close one todo, each retrying on a conflict
// as flows.Records does: whatever the interleaving of their steps, the
// index ends up agreeing with the record once a reader has passed.
func TestSteppedRacingWriters(t *testing.T) {
	ctx := context.Background()
	s, rdb := stepped(t)
	if err := s.CreateRecord(ctx, openTodo("td_r", 0, true)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				for {
					cur, err := s.Record(ctx, "todo", "td_r")
					if err != nil {
						t.Error(err)
						return
					}
					err = s.UpdateRecord(ctx, openTodo("td_r", cur.Version, (w+i)%2 == 0))
					if err == nil {
						break
					}
					if !errors.Is(err, flows.ErrConflict) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	final, err := s.Record(ctx, "todo", "td_r")
	if err != nil {
		t.Fatal(err)
	}
	open := string(final.Data) == `{"id":"td_r","open":true}`
	got, total := listOpen(t, s)
	if open != (len(got) == 1) || total != len(got) {
		t.Fatalf("record open=%v at version %d, list %v total %d", open, final.Version, got, total)
	}
	if want := map[bool]int64{true: 1, false: 0}[open]; indexed(t, rdb) != want {
		t.Fatalf("index holds %d after the reader's pass, want %d", indexed(t, rdb), want)
	}
}
