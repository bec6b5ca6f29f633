package webapp

import "testing"

func TestAcceptLanguage(t *testing.T) {
	tests := []struct {
		header, want string
	}{
		{"", ""},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh_cn"},
		{"en-US,en;q=0.9", "en_us"},
		{"fr-FR, en;q=0.5, zh-TW;q=0.7", "zh_cn"},
		{"de, fr;q=0.8", ""},
		{"zh;q=0, en;q=0.1", "en_us"},
		{"en;q=2, zh", "zh_cn"}, // a weight out of range is ignored
		{"*", ""},
		{"EN-gb", "en_us"},
	}
	for _, tt := range tests {
		got, ok := acceptLanguage(tt.header)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%q: %q %v, want %q", tt.header, got, ok, tt.want)
		}
	}
}
