package card

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Localized merges the variants: texts that differ get i18n_content, texts
// that do not stay plain, config.locales lists every locale, and the
// default's text is the fallback. Markup is not HTML-escaped.
func TestLocalized(t *testing.T) {
	render := func(title, body string) *Card {
		return New(Header{Title: Plain(title), Template: Blue},
			Markdown{Content: body + " <at id=ou_1></at>"},
			PlainText("Buy milk"))
	}
	c := Localized("zh_cn", map[string]*Card{
		"en_us": render("Todo", "Assignee"),
		"zh_cn": render("待办", "负责人"),
	})
	// As the golden files encode: an Encoder that does not escape HTML
	// must see the markup as it is.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	var got struct {
		Config struct {
			Locales     []string `json:"locales"`
			UpdateMulti bool     `json:"update_multi"`
		} `json:"config"`
		Header struct {
			Title struct {
				Content string            `json:"content"`
				I18n    map[string]string `json:"i18n_content"`
			} `json:"title"`
		} `json:"header"`
		Body struct {
			Elements []map[string]any `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Config.Locales, ",") != "en_us,zh_cn" || !got.Config.UpdateMulti {
		t.Errorf("config = %+v", got.Config)
	}
	if got.Header.Title.Content != "待办" || got.Header.Title.I18n["en_us"] != "Todo" || got.Header.Title.I18n["zh_cn"] != "待办" {
		t.Errorf("title = %+v", got.Header.Title)
	}
	if _, ok := got.Body.Elements[0]["i18n_content"]; !ok {
		t.Errorf("markdown without i18n_content: %v", got.Body.Elements[0])
	}
	if strings.Contains(string(raw), `\u003c`) {
		t.Errorf("markup escaped: %s", raw)
	}
	if strings.Count(string(raw), "i18n_content") != 2 {
		t.Errorf("the same text in every locale needs no i18n_content: %s", raw)
	}
	if plain, _ := json.Marshal(New(Header{}, PlainText("x"))); strings.Contains(string(plain), "locales") {
		t.Errorf("a card in one language got locales: %s", plain)
	}
}
