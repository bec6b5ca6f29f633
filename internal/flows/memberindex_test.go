package flows

import (
	"reflect"
	"testing"
)

func TestMemberIndexes(t *testing.T) {
	const a, b = "ou_aaaaaaaaaaaaaaaa", "ou_bbbbbbbbbbbbbbbb"
	for _, tc := range []struct {
		name   string
		tenant string
		ids    []string
		want   []string
	}{
		{"creator and assignee", "tk", []string{a, b}, []string{"member:tk:" + a, "member:tk:" + b}},
		{"same person twice", "tk", []string{a, a}, []string{"member:tk:" + a}},
		{"not open ids skipped", "tk", []string{"", "all", "u_x", b}, []string{"member:tk:" + b}},
		{"no tenant", "", []string{a}, nil},
		{"tenant with a space", "t k", []string{a}, nil},
		{"tenant with a colon", "t:k", []string{a}, nil},
	} {
		var got []string
		for _, ix := range MemberIndexes(tc.tenant, 7, tc.ids...) {
			if !ix.In || ix.Score != 7 {
				t.Errorf("%s: %+v", tc.name, ix)
			}
			got = append(got, ix.Name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
