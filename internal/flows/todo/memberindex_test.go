package todo

import (
	"maps"
	"testing"

	"github.com/botd/botd/internal/flows"
)

// A todo is in its creator's and its assignee's member index whatever its
// status (the web app's "my items"), and in its chat's open list only while
// open.
func TestTodoMemberIndexes(t *testing.T) {
	const creator, assignee = "ou_creator00000000", "ou_assignee0000000"
	for _, st := range []Status{Open, Done} {
		td := &Todo{ID: "td_x", TenantKey: "tk", ChatID: "oc_x", CreatorID: creator, Assignee: assignee, Status: st}
		in := map[string]bool{}
		for _, ix := range td.Indexes() {
			in[ix.Name] = ix.In
		}
		want := map[string]bool{"open:oc_x": st == Open, flows.MemberIndex("tk", creator): true, flows.MemberIndex("tk", assignee): true}
		if !maps.Equal(in, want) {
			t.Errorf("%s: indexes %v, want %v", st, in, want)
		}
	}
}
