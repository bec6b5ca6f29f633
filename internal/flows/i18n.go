package flows

import (
	"slices"

	"github.com/botd/botd/internal/card"
)

// Locales is every language the bot writes in: group cards carry them all.
var Locales = []string{LocaleEnUS, LocaleZhCN}

// EveryLocale renders a card the whole group sees once per locale and
// merges the renderings (card.Localized), so that every member reads it in
// their own language; def, the language of the member who made it, is the
// fallback for the others. Cards one member sees (forms, notices, toasts'
// cards) are rendered in that member's language instead: the ephemeral API
// refuses local i18n (docs/feishu-platform.md §8.4).
func EveryLocale(def string, render func(locale string) *card.Card) *card.Card {
	if !slices.Contains(Locales, def) {
		def = LocaleEnUS
	}
	variants := make(map[string]*card.Card, len(Locales))
	for _, l := range Locales {
		variants[l] = render(l)
	}
	return card.Localized(def, variants)
}
