package platformid

import (
	"strings"
	"testing"
)

func TestKinds(t *testing.T) {
	long := "ou_" + strings.Repeat("a", MaxLen-3)
	cases := []struct {
		id   string
		is   func(string) bool
		want bool
	}{
		{"ou_abc123", IsOpenID, true},
		{"ou_ab_cd", IsOpenID, true}, // '_' after the prefix: the picker sends such ids
		{"ou_ab-cd", IsOpenID, true},
		{"ou_ABC", IsOpenID, true},
		{long, IsOpenID, true},
		{long + "a", IsOpenID, false}, // over MaxLen
		{"ou_", IsOpenID, false},      // prefix alone
		{"", IsOpenID, false},
		{"oc_abc", IsOpenID, false}, // another kind
		{"OU_abc", IsOpenID, false}, // prefixes are lower case
		{"ou_a b", IsOpenID, false},
		{"ou_a\"b", IsOpenID, false},
		{"ou_a'b", IsOpenID, false},
		{"ou_a<b", IsOpenID, false},
		{"ou_a>b", IsOpenID, false},
		{"ou_a\nb", IsOpenID, false},
		{"ou_a\x00b", IsOpenID, false},
		{"ou_a:b", IsOpenID, false}, // would split a Redis key
		{"ou_é", IsOpenID, false},
		{"oc_x-y_z9", IsChatID, true},
		{"ou_x", IsChatID, false},
		{"om_x", IsMessageID, true},
		{"om_", IsMessageID, false},
		{"on_x", IsUnionID, true},
		{"cli_a1b2", IsAppID, true},
		{"cli", IsAppID, false},
	}
	for _, c := range cases {
		if got := c.is(c.id); got != c.want {
			t.Errorf("%q: got %v, want %v", c.id, got, c.want)
		}
	}
}

func FuzzIsOpenID(f *testing.F) {
	f.Add("ou_abc")
	f.Add("ou_<script>")
	f.Fuzz(func(t *testing.T, s string) {
		if !IsOpenID(s) {
			return
		}
		if len(s) > MaxLen || !strings.HasPrefix(s, OpenIDPrefix) || strings.ContainsAny(s, "\"'<> \t\r\n:&") {
			t.Fatalf("accepted %q", s)
		}
	})
}
