package flowtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// CheckMessages reads every Msg{...} (or flows.Msg{...}) literal of the
// Go file at path and checks that both languages are filled in and take
// the same format verbs, so that a new message cannot ship half
// translated. It fails when it finds fewer than min messages: the table
// moved.
func CheckMessages(t *testing.T, path string, min int) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		lit, ok := node.(*ast.CompositeLit)
		if !ok || !isMsgType(lit.Type) {
			return true
		}
		n++
		if len(lit.Elts) != 2 {
			t.Errorf("Msg literal with %d fields, want en_us and zh_cn", len(lit.Elts))
			return false
		}
		var texts [2]string
		for i, e := range lit.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok { // flows.Msg{EnUS: ..., ZhCN: ...}
				e = kv.Value
			}
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
	if n < min {
		t.Errorf("found only %d messages in %s, want %d or more; is the table still there?", n, path, min)
	}
}

func isMsgType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Msg"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "flows" && e.Sel.Name == "Msg"
	}
	return false
}
