package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// oldRecord is a record as a botd older than member indexes left it: its
// hash (version and JSON) and no index entries.
type oldRecord struct {
	ID      string   `json:"id"`
	Members []string `json:"members"`
}

func memberIndexes(data []byte) ([]flows.Index, error) {
	var r oldRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var ix []flows.Index
	for _, m := range r.Members {
		ix = append(ix, flows.Index{Name: "member:tk:" + m, Score: 1, In: true})
	}
	// An index the backfill must not place a record in (In false).
	return append(ix, flows.Index{Name: "open:oc_x", Score: 1, In: false}), nil
}

func TestBackfillIndexes(t *testing.T) {
	rdb := statetest.Client(t)
	s := state.New(rdb, 0, nil)
	ctx := context.Background()
	for _, r := range []oldRecord{{ID: "td_a", Members: []string{"ou_1", "ou_2"}}, {ID: "td_b", Members: []string{"ou_2"}}} {
		data, _ := json.Marshal(r)
		if err := rdb.HSet(ctx, statetest.Key(rdb, "botd:todo:"+r.ID), "v", 3, "d", data).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, statetest.Key(rdb, "botd:todo:td_bad"), "v", 1, "d", "not json").Err(); err != nil {
		t.Fatal(err)
	}
	// A record of another kind is not visited.
	if err := rdb.HSet(ctx, statetest.Key(rdb, "botd:rem:rm_a"), "v", 1, "d", `{"id":"rm_a","members":["ou_1"]}`).Err(); err != nil {
		t.Fatal(err)
	}
	// Before: nobody's list has them.
	if recs, _, _ := s.ListRecords(ctx, "todo", "member:tk:ou_2", 0, 10); len(recs) != 0 {
		t.Fatalf("before the backfill: %d records", len(recs))
	}

	n, err := s.BackfillIndexes(ctx, "todo", "member_index_v1", memberIndexes)
	if err != nil || n != 3 {
		t.Fatalf("backfill: %d entries, %v; want 3", n, err)
	}
	ids := func(index string) []string {
		recs, _, err := s.ListRecords(ctx, "todo", index, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids("member:tk:ou_2"); !slices.Equal(got, []string{"td_a", "td_b"}) {
		t.Errorf("ou_2's todos %v", got)
	}
	if got := ids("member:tk:ou_1"); !slices.Equal(got, []string{"td_a"}) {
		t.Errorf("ou_1's todos %v", got)
	}
	if got := ids("open:oc_x"); len(got) != 0 {
		t.Errorf("placed in an index it is out of: %v", got)
	}
	if recs, _, _ := s.ListRecords(ctx, "rem", "member:tk:ou_1", 0, 10); len(recs) != 0 {
		t.Error("a record of another kind was placed")
	}

	// Once done, it does not run again (a record written the old way now
	// stays out: there is none after the upgrade).
	data, _ := json.Marshal(oldRecord{ID: "td_c", Members: []string{"ou_3"}})
	_ = rdb.HSet(ctx, statetest.Key(rdb, "botd:todo:td_c"), "v", 1, "d", data).Err()
	if n, err := s.BackfillIndexes(ctx, "todo", "member_index_v1", memberIndexes); n != 0 || err != nil {
		t.Fatalf("second run: %d, %v", n, err)
	}
	// Another name is another backfill.
	if n, err := s.BackfillIndexes(ctx, "todo", "other_v1", memberIndexes); n != 4 || err != nil {
		t.Fatalf("another backfill: %d, %v", n, err)
	}

	for _, bad := range [][2]string{{"to do", "x"}, {"todo", ""}, {"todo", "a:b"}} {
		if _, err := s.BackfillIndexes(ctx, bad[0], bad[1], memberIndexes); err == nil {
			t.Errorf("backfill %v accepted", bad)
		}
	}
	failing := func([]byte) ([]flows.Index, error) { return nil, errors.New("boom") }
	if n, err := s.BackfillIndexes(ctx, "todo", "failing_v1", failing); n != 0 || err != nil {
		t.Errorf("undecodable records: %d, %v; want them skipped", n, err)
	}
}
