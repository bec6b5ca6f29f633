package flows

import (
	"testing"
)

func TestMsgIn(t *testing.T) {
	m := Msg{"Title is too long (at most %d characters)", "标题过长（最多 %d 个字）"}
	if got := m.In(LocaleZhCN, 200); got != "标题过长（最多 200 个字）" {
		t.Errorf("zh_cn: %q", got)
	}
	if got := m.In("ja_jp", 200); got != "Title is too long (at most 200 characters)" {
		t.Errorf("other locales fall back to English: %q", got)
	}
	if got := (Msg{"100%", "100%"}).In(LocaleEnUS); got != "100%" {
		t.Errorf("without args the text is not a format: %q", got)
	}
}
