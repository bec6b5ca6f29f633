package flows_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/builtin"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// backfiller records what BackfillMemberIndexes asks for and runs its
// index function on one stored record per kind.
type backfiller struct {
	records map[string][]byte // kind -> a stored record
	got     map[string][]flows.Index
	names   []string
}

func (b *backfiller) BackfillIndexes(_ context.Context, kind, name string, indexes func([]byte) ([]flows.Index, error)) (int, error) {
	b.names = append(b.names, kind+"/"+name)
	data, ok := b.records[kind]
	if !ok {
		return 0, nil
	}
	ix, err := indexes(data)
	if err != nil {
		return 0, err
	}
	b.got[kind] = ix
	return len(ix), nil
}

// Every flow with records is backfilled, into its member indexes only: an
// open todo's place in its chat's open list is never re-added (it could
// have been closed since).
func TestBackfillMemberIndexesOnlyMemberIndexes(t *testing.T) {
	v := flowtest.New(t, builtin.Flows()...)
	td, _ := json.Marshal(todo.Todo{ID: "td_1", TenantKey: "tk", ChatID: flowtest.ChatID, Title: "x",
		CreatorID: flowtest.UserID, Assignee: flowtest.BobID, Status: todo.Open})
	rm, _ := json.Marshal(remind.Reminder{ID: "rm_1", TenantKey: "tk", ChatID: flowtest.ChatID, CreatorID: flowtest.UserID,
		Notify: remind.NotifyPeople, People: []string{flowtest.BobID}, Status: remind.Active})
	b := &backfiller{records: map[string][]byte{todo.Kind: td, remind.Kind: rm}, got: map[string][]flows.Index{}}
	if err := v.E.BackfillMemberIndexes(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if want := []string{"todo/member_index_v1", "rem/member_index_v1"}; !slices.Equal(b.names, want) {
		t.Fatalf("backfilled %v, want %v", b.names, want)
	}
	want := []string{flows.MemberIndex("tk", flowtest.UserID), flows.MemberIndex("tk", flowtest.BobID)}
	for kind, ix := range b.got {
		var names []string
		for _, i := range ix {
			if !i.In {
				t.Errorf("%s: index %s with In false", kind, i.Name)
			}
			names = append(names, i.Name)
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s: indexes %v, want the member indexes %v", kind, names, want)
		}
	}
	if err := v.E.BackfillMemberIndexes(context.Background(), &backfiller{records: map[string][]byte{todo.Kind: []byte("{")}, got: map[string][]flows.Index{}}); err == nil {
		t.Error("an undecodable record did not fail the backfill")
	}
}
