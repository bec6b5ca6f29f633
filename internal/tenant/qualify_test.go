package tenant

import "testing"

func TestQualifySplit(t *testing.T) {
	for _, tc := range []struct {
		in        string
		key, rest string
		ok        bool
	}{
		{Qualify("t1", "rem:r_1:2024"), "t1", "rem:r_1:2024", true},
		{"rem:r_1:2024", "", "rem:r_1:2024", false},
		{"/rem:x", "", "/rem:x", false},
		{"a:b/rem", "", "a:b/rem", false}, // not a tenant key before the '/'
		{Qualify("t1", "x/y"), "t1", "x/y", true},
	} {
		k, m, ok := Split(tc.in)
		if k != tc.key || m != tc.rest || ok != tc.ok {
			t.Errorf("Split(%q) = %q, %q, %v; want %q, %q, %v", tc.in, k, m, ok, tc.key, tc.rest, tc.ok)
		}
	}
}
