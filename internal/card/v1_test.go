package card_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/feishusim"
)

func sampleV1() *card.V1 {
	return card.NewV1(card.V1Header{Title: card.Plain("Buy milk"), Template: card.Blue},
		card.V1Div{Text: card.LarkMD("**Assignee** <at id=ou_1></at>")},
		card.V1Hr{},
		card.V1Action{Actions: []card.V1Button{{Name: "done_btn", Text: card.Plain("Mark done"), Type: card.ButtonPrimary,
			Value: map[string]any{"flow": "todo", "action": "todo_done", "todo": "td_1"}}}},
		card.V1Note{Elements: []card.Text{card.LarkMD("Created by <at id=ou_2></at>")}},
	)
}

func TestV1Marshal(t *testing.T) {
	got, err := json.Marshal(card.NewContent1(sampleV1()))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	want := `{"msg_type":"interactive","update_multi":true,"card":{"config":{"update_multi":true,"enable_forward":true},` +
		`"header":{"title":{"tag":"plain_text","content":"Buy milk"},"template":"blue"},"elements":[` +
		`{"tag":"div","text":{"tag":"lark_md","content":"**Assignee** <at id=ou_1></at>"}},{"tag":"hr"},` +
		`{"tag":"action","actions":[{"tag":"button","name":"done_btn","text":{"tag":"plain_text","content":"Mark done"},"type":"primary","value":{"action":"todo_done","flow":"todo","todo":"td_1"}}]},` +
		`{"tag":"note","elements":[{"tag":"lark_md","content":"Created by <at id=ou_2></at>"}]}]}}`
	var wantDoc map[string]any
	if err := json.Unmarshal([]byte(want), &wantDoc); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(doc)
	b, _ := json.Marshal(wantDoc)
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if strings.Contains(string(got), `"schema"`) || strings.Contains(string(got), `"behaviors"`) {
		t.Fatalf("JSON 2.0 keys in a 1.0 card: %s", got)
	}
	// No element writes null: an empty card still has "elements": [].
	empty, _ := json.Marshal(card.NewV1(card.V1Header{Title: card.Plain("x")}))
	if !strings.Contains(string(empty), `"elements":[]`) {
		t.Fatalf("empty card: %s", empty)
	}
}

// The simulator's validator (the platform's documented rules) accepts what
// Validate1 accepts.
func TestV1AcceptedBySimulator(t *testing.T) {
	c := sampleV1()
	if err := card.Validate1(c); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(c)
	if problems := feishusim.ValidateCard(raw, false); len(problems) > 0 {
		t.Fatalf("simulator refuses a valid 1.0 card: %v", problems)
	}
}

func TestValidate1(t *testing.T) {
	btn := func(name, text string, value map[string]any) card.V1Button {
		return card.V1Button{Name: name, Text: card.Plain(text), Value: value}
	}
	v := map[string]any{"k": "v"}
	tests := []struct {
		name string
		edit func(c *card.V1)
		want string // substring of the error; "" for none
	}{
		{"valid", func(*card.V1) {}, ""},
		{"exclusive", func(c *card.V1) { c.Config.UpdateMulti = false }, "update_multi"},
		{"no title", func(c *card.V1) { c.Header.Title = card.Plain("") }, "header.title"},
		{"bad title tag", func(c *card.V1) { c.Header.Title = card.Text{Tag: "markdown", Content: "x"} }, "header.title"},
		{"bad colour", func(c *card.V1) { c.Header.Template = "pink" }, "colour"},
		{"no elements", func(c *card.V1) { c.Elements = nil }, "no elements"},
		{"too many elements", func(c *card.V1) {
			for range 60 {
				c.Elements = append(c.Elements, card.V1Hr{})
			}
		}, "at most 50"},
		{"empty div", func(c *card.V1) { c.Elements = append(c.Elements, card.V1Div{Text: card.Plain("  ")}) }, "div"},
		{"empty note", func(c *card.V1) { c.Elements = append(c.Elements, card.V1Note{}) }, "note"},
		{"empty action", func(c *card.V1) { c.Elements = append(c.Elements, card.V1Action{}) }, "1 to 10"},
		{"button without value", func(c *card.V1) {
			c.Elements = append(c.Elements, card.V1Action{Actions: []card.V1Button{btn("b", "x", nil)}})
		}, "value"},
		{"button text too long", func(c *card.V1) {
			c.Elements = append(c.Elements, card.V1Action{Actions: []card.V1Button{btn("b", strings.Repeat("长", 101), v)}})
		}, "101 characters"},
		{"button type", func(c *card.V1) {
			b := btn("b", "x", v)
			b.Type = "laser"
			c.Elements = append(c.Elements, card.V1Action{Actions: []card.V1Button{b}})
		}, "type"},
		{"names repeat", func(c *card.V1) {
			c.Elements = append(c.Elements, card.V1Action{Actions: []card.V1Button{btn("done_btn", "x", v)}})
		}, "used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleV1()
			tt.edit(c)
			err := card.Validate1(c)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if err := card.Validate1(nil); err == nil {
		t.Fatal("nil card passes")
	}
}

func TestValidateContent1(t *testing.T) {
	if err := card.ValidateContent1(card.NewContent1(sampleV1())); err != nil {
		t.Fatal(err)
	}
	bad := card.NewContent1(sampleV1())
	bad.MsgType, bad.UpdateMulti = "text", false
	if err := card.ValidateContent1(bad); err == nil || !strings.Contains(err.Error(), "msg_type") || !strings.Contains(err.Error(), "update_multi") {
		t.Fatalf("bad wrapper: %v", err)
	}

	// The bound is on the encoded size, HTML escapes included: 3,500
	// "<" are 3.5 KB as text but 21 KB escaped ("\u003c").
	big := sampleV1()
	big.Elements = append(big.Elements, card.V1Div{Text: card.Plain(strings.Repeat("<", 3500))})
	n, err := card.Content1Size(card.NewContent1(big))
	if err != nil || n <= card.MaxContent1Bytes {
		t.Fatalf("size %d, %v: want over the bound", n, err)
	}
	if err := card.ValidateContent1(card.NewContent1(big)); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("oversize content: %v", err)
	}
	big.Elements[len(big.Elements)-1] = card.V1Div{Text: card.Plain(strings.Repeat("<", 2500))}
	if err := card.ValidateContent1(card.NewContent1(big)); err != nil {
		t.Fatalf("content under the bound: %v", err)
	}
}
