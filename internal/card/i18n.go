package card

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Localized returns a card that shows each reader the variant in their
// language, using JSON 2.0 local i18n (docs/feishu-platform.md §8.4): the
// variants, which must have the same structure and differ only in their
// texts, are merged into one card whose config.locales lists every locale
// and whose differing "content" fields carry "i18n_content" maps. def's
// variant is the default, for clients in a language not listed.
//
// Only cards every member of a group sees need this: the ephemeral API
// refuses local i18n, and a card one member sees is rendered in theirs.
func Localized(def string, variants map[string]*Card) *Card {
	base, ok := variants[def]
	if !ok {
		panic(fmt.Sprintf("card: Localized: no variant for the default locale %q", def))
	}
	c := *base
	c.variants = maps.Clone(variants)
	c.defLocale = def
	return &c
}

// Locales lists the locales a Localized card carries, sorted; nil for a
// card in one language.
func (c Card) Locales() []string {
	return slices.Sorted(maps.Keys(c.variants))
}

// MarshalJSON writes the card, merging its variants when it is Localized.
func (c Card) MarshalJSON() ([]byte, error) {
	type plain Card // no methods: marshals the fields
	if len(c.variants) == 0 {
		return marshalText(plain(c))
	}
	locales := c.Locales()
	decoded := make(map[string]any, len(locales))
	for _, l := range locales {
		v := *c.variants[l]
		v.variants = nil
		raw, err := marshalText(plain(v))
		if err != nil {
			return nil, fmt.Errorf("card: variant %s: %w", l, err)
		}
		var d any
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("card: variant %s: %w", l, err)
		}
		decoded[l] = d
	}
	merged := mergeI18n(c.defLocale, locales, decoded)
	root, ok := merged.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("card: merged variants are not an object")
	}
	cfg, _ := root["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		root["config"] = cfg
	}
	cfg["locales"] = locales
	return marshalText(root)
}

// marshalText is json.Marshal without HTML escaping: cards carry markup
// such as <at id=...></at>, and an Encoder's SetEscapeHTML(false) cannot
// undo escaping done inside a MarshalJSON.
func marshalText(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
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
