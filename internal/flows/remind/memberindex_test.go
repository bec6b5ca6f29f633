package remind

import (
	"slices"
	"testing"

	"github.com/botd/botd/internal/flows"
)

// A reminder is in the member index of who set it and of the people it
// mentions (the web app's "my items").
func TestReminderMemberIndexes(t *testing.T) {
	const creator, p1, p2 = "ou_creator00000000", "ou_person10000000", "ou_person20000000"
	r := &Reminder{ID: "rm_x", TenantKey: "tk", CreatorID: creator, Notify: NotifyPeople, People: []string{p1, p2, creator}}
	var got []string
	for _, ix := range r.Indexes() {
		if !ix.In {
			t.Errorf("%s not in", ix.Name)
		}
		got = append(got, ix.Name)
	}
	want := []string{flows.MemberIndex("tk", creator), flows.MemberIndex("tk", p1), flows.MemberIndex("tk", p2)}
	if !slices.Equal(got, want) {
		t.Fatalf("indexes %v, want %v", got, want)
	}
}
