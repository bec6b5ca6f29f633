package flows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestMessages reads every Msg{...} literal of messages.go and checks that
// both languages are filled in and take the same format verbs, so that a new
// message cannot ship half translated.
func TestMessages(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "messages.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		lit, ok := node.(*ast.CompositeLit)
		if !ok || !isIdent(lit.Type, "Msg") {
			return true
		}
		n++
		if len(lit.Elts) != 2 {
			t.Errorf("Msg literal with %d fields, want en_us and zh_cn", len(lit.Elts))
			return false
		}
		var texts [2]string
		for i, e := range lit.Elts {
			b, ok := e.(*ast.BasicLit)
			if !ok {
				t.Errorf("Msg field is %T, want a string literal", e)
				return false
			}
			texts[i], _ = strconv.Unquote(b.Value)
		}
		if texts[0] == "" || texts[1] == "" {
			t.Errorf("Msg%q: a language is empty", texts)
		}
		if en, zh := verbs.FindAllString(texts[0], -1), verbs.FindAllString(texts[1], -1); !slices.Equal(en, zh) {
			t.Errorf("Msg%q: verbs %q and %q differ", texts, en, zh)
		}
		return false
	})
	if n < 20 {
		t.Errorf("found only %d messages; is the table still in messages.go?", n)
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

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
