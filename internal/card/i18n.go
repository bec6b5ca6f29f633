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
	if len(c.variants) == 0 {
		w := newWriter()
		if err := w.card(c); err != nil {
			return nil, err
		}
		return w.out, nil
	}
	locales := c.Locales()
	variants := make([]*jnode, len(locales))
	def := slices.Index(locales, c.defLocale)
	for i, l := range locales {
		w := newWriter()
		if err := w.card(*c.variants[l]); err != nil {
			return nil, fmt.Errorf("card: variant %s: %w", l, err)
		}
		n, err := parseJSON(w.out)
		if err != nil {
			return nil, fmt.Errorf("card: variant %s: %w", l, err)
		}
		variants[i] = n
	}
	return mergeVariants(def, locales, variants)
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
