package card

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// mapsLocalized is how a Localized card was written before the one-pass
// merge: every variant decoded into maps, merged (mergeI18n), config.locales
// set, and the maps encoded again. It is the oracle of TestMergeAsMaps.
func mapsLocalized(def string, variants map[string]*Card) ([]byte, error) {
	var locales []string
	for l := range variants {
		locales = append(locales, l)
	}
	slices.Sort(locales)
	decoded := map[string]any{}
	for _, l := range locales {
		raw, err := nestedCard(variants[l])
		if err != nil {
			return nil, err
		}
		var d any
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, err
		}
		decoded[l] = d
	}
	root, ok := mergeI18n(def, locales, decoded).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object")
	}
	cfg, _ := root["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		root["config"] = cfg
	}
	cfg["locales"] = locales
	return marshalText(root)
}

// mergeI18n merges the same position of every variant. Objects merge key by
// key; a "content" string that differs becomes the default's text plus an
// "i18n_content" map; arrays of one length merge element by element. Any
// other difference cannot be expressed, so the default's value stands.
func mergeI18n(def string, locales []string, byLocale map[string]any) any {
	base := byLocale[def]
	switch b := base.(type) {
	case map[string]any:
		out := make(map[string]any, len(b))
		for k, bv := range b {
			vals := make(map[string]any, len(locales))
			for _, l := range locales {
				if m, ok := byLocale[l].(map[string]any); ok {
					vals[l] = m[k]
				}
			}
			if s, ok := bv.(string); ok && k == "content" {
				texts := map[string]any{}
				differ := false
				for _, l := range locales {
					t, _ := vals[l].(string)
					texts[l] = t
					differ = differ || t != s
				}
				out[k] = s
				if differ {
					out["i18n_content"] = texts
				}
				continue
			}
			out[k] = mergeI18n(def, locales, vals)
		}
		return out
	case []any:
		out := make([]any, len(b))
		for i := range b {
			vals := make(map[string]any, len(locales))
			for _, l := range locales {
				if a, ok := byLocale[l].([]any); ok && len(a) == len(b) {
					vals[l] = a[i]
				} else {
					vals[l] = b[i]
				}
			}
			out[i] = mergeI18n(def, locales, vals)
		}
		return out
	}
	return base
}

// The one-pass merge writes the bytes the map route wrote: for variants
// alike but for their texts (the usual case), for variants whose shapes
// differ (missing elements, other types where a text was, arrays of other
// lengths), with texts that need escaping, numbers, empty texts, and more
// than two languages.
func TestMergeAsMaps(t *testing.T) {
	text := func(s string) *Card {
		return New(Header{Title: Plain(s), Subtitle: LarkMD("**" + s + "**"), Template: Blue},
			Markdown{Content: s + " <at id=ou_1></at>"},
			PlainText("Buy milk"),
			ColumnSet{Columns: []Column{{Width: "weighted", Weight: 2, Elements: []Element{Markdown{Content: s}}}}},
			Button{Name: "done_btn", Text: Plain(s), Behaviors: Callback(map[string]any{"id": "td_1", "n": 3, "f": 1.25, "big": 12345678901234567, "ok": true, "nil": nil})},
		)
	}
	tests := []struct {
		name     string
		def      string
		variants map[string]*Card
	}{
		{"texts differ", "zh_cn", map[string]*Card{"en_us": text("Todo"), "zh_cn": text("待办")}},
		{"texts alike", "en_us", map[string]*Card{"en_us": text("Same"), "zh_cn": text("Same")}},
		{"escapes", "en_us", map[string]*Card{
			"en_us": text("line\nbreak \"quoted\" \\ tab\t <b>&amp; \u2028 é"),
			"zh_cn": text("换行\n\"引号\""),
		}},
		{"invalid utf-8 and its replacement", "en_us", map[string]*Card{
			"en_us": text("bad \xff byte"),
			"zh_cn": text("bad \ufffd byte"),
		}},
		{"empty default text", "en_us", map[string]*Card{"en_us": text(""), "zh_cn": text("非空")}},
		{"three locales", "ja_jp", map[string]*Card{"en_us": text("Todo"), "zh_cn": text("待办"), "ja_jp": text("やること")}},
		{"shapes differ", "en_us", map[string]*Card{
			"en_us": text("Todo"),
			"zh_cn": New(Header{Title: Plain("待办")}, Markdown{Content: "只有一个"}),
		}},
		{"other types where texts were", "zh_cn", map[string]*Card{
			"en_us": New(Header{Title: Plain("T")}, Input{Name: "title", MaxLength: 10}, Divider{}),
			"zh_cn": New(Header{Title: Plain("标题")}, Markdown{Content: "x"}, Divider{}),
		}},
		{"no config", "en_us", map[string]*Card{
			"en_us": {Schema: Schema, Header: Header{Title: Plain("A")}},
			"zh_cn": {Schema: Schema, Header: Header{Title: Plain("甲")}},
		}},
		{"config with summary", "en_us", map[string]*Card{
			"en_us": {Schema: Schema, Config: Config{UpdateMulti: true, WidthMode: "fill", Summary: &Summary{Content: "sum"}}},
			"zh_cn": {Schema: Schema, Config: Config{UpdateMulti: true, Summary: &Summary{Content: "摘要"}}},
		}},
		{"config only in one", "zh_cn", map[string]*Card{
			"en_us": {Schema: Schema, Config: Config{UpdateMulti: true}},
			"zh_cn": {Schema: Schema},
		}},
		{"one locale", "en_us", map[string]*Card{"en_us": text("Alone")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := mapsLocalized(tt.def, tt.variants)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(Localized(tt.def, tt.variants))
			if err != nil {
				t.Fatal(err)
			}
			wantM, _ := json.Marshal(json.RawMessage(want))
			if !bytes.Equal(got, wantM) {
				t.Fatalf("one pass:\n%s\nmaps:\n%s", got, wantM)
			}
			raw, err := Localized(tt.def, tt.variants).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, want) {
				t.Fatalf("MarshalJSON, one pass:\n%s\nmaps:\n%s", raw, want)
			}
		})
	}
}
