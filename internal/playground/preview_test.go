package playground

import (
	"net/http"
	"slices"
	"testing"
)

func TestFindSyntaxErrorGivesLineAndColumn(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		line, col int
	}{
		{"valid", `{"a": 1}`, 0, 0},
		{"missing comma on line 3", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3},
		{"trailing comma", "{\n  \"a\": [1, 2,]\n}", 2, 14},
		{"cut short", "{\n  \"a\": ", 2, 8},
		{"columns count characters", "{\"标题\": x}", 1, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findSyntaxError([]byte(tt.text))
			if tt.line == 0 {
				if got != nil {
					t.Fatalf("valid JSON reported as %+v", got)
				}
				return
			}
			if got == nil || got.Line != tt.line || got.Column != tt.col || got.Message == "" {
				t.Fatalf("got %+v, want line %d column %d", got, tt.line, tt.col)
			}
		})
	}
}

func TestValidateListsEachProblemOnceWithItsSurfaces(t *testing.T) {
	_, srv := testPlayground(t)
	var v validation
	code := post(t, srv, "/api/validate", map[string]any{"card": map[string]any{
		"schema": "2.0",
		"body": map[string]any{"elements": []any{
			map[string]any{"tag": "action", "actions": []any{}},
		}},
	}}, &v)
	if code != http.StatusOK || len(v.Problems) == 0 || v.Syntax != nil {
		t.Fatalf("%d %+v", code, v)
	}
	seen := map[string]bool{}
	for _, p := range v.Problems {
		key := p.Path + "|" + p.Message
		if seen[key] {
			t.Errorf("listed twice: %+v", p)
		}
		seen[key] = true
		if !slices.Equal(p.Surfaces, []string{surfaceGroup, surfaceEphemeral}) {
			t.Errorf("%+v: want both surfaces (the action module is refused on both)", p)
		}
	}
	if len(v.Problems) >= len(v.Group)+len(v.Ephemeral) {
		t.Errorf("problems were not merged: %d for %d+%d", len(v.Problems), len(v.Group), len(v.Ephemeral))
	}

	var broken validation
	post(t, srv, "/api/validate", map[string]any{"card": "{\n  \"schema\": \"2.0\",\n  \"body\": {]\n}"}, &broken)
	if broken.Syntax == nil || broken.Syntax.Line != 3 || broken.Syntax.Column != 12 {
		t.Fatalf("syntax error not located: %+v", broken.Syntax)
	}
}
