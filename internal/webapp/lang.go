package webapp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/botd/botd/internal/flows"
)

// The web app speaks zh and en: its toasts (the flows' texts, which carry
// both) and its shared cards. The page names a language as "zh" or "en".

// localeOf reads the page's "zh"/"en" (or a locale, zh_cn/en_us); ok is
// false for anything else.
func localeOf(lang string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(lang)) {
	case "zh", "zh_cn", "zh-cn":
		return flows.LocaleZhCN, true
	case "en", "en_us", "en-us":
		return flows.LocaleEnUS, true
	}
	return "", false
}

// lang is the member's language for a request's texts: ?lang=zh|en when
// given, else the best of zh and en in Accept-Language, else the default.
func (h *Handler) lang(r *http.Request) string {
	if l, ok := localeOf(r.URL.Query().Get("lang")); ok {
		return l
	}
	if l, ok := acceptLanguage(r.Header.Get("Accept-Language")); ok {
		return l
	}
	return h.cfg.DefaultLocale
}

// maxLanguageRanges bounds how much of an Accept-Language header is read.
const maxLanguageRanges = 20

// acceptLanguage picks zh or en from an Accept-Language header (RFC 9110
// §12.5.4): the one with the higher weight, the earlier one on a tie;
// ok is false when it names neither (with a weight above 0).
func acceptLanguage(header string) (string, bool) {
	best, bestQ := "", 0.0
	for i, part := range strings.Split(header, ",") {
		if i == maxLanguageRanges {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		var l string
		switch primary {
		case "zh":
			l = flows.LocaleZhCN
		case "en":
			l = flows.LocaleEnUS
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best, best != ""
}
