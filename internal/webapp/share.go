package webapp

import (
	"errors"
	"net/http"
	"slices"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
)

// Sharing an item: the page asks botd for the card (POST .../share), hands
// it to the client's tt.sendMessageCard, which sends it into the chats the
// member picks, and tells botd what the client sent (POST .../shares), so
// that a click on a copy is answered with the copy's own JSON 1.0 card.

// maxSharesBody bounds POST .../shares: ten entries of three short fields.
const maxSharesBody = 16 << 10

// maxSharesPerCall is the most chats tt.sendMessageCard sends to at once.
const maxSharesPerCall = 10

// shareLang is the language of a share: the body's "lang" ("zh"/"en")
// when given, else the record's. ok is false for a lang that is neither.
func shareLang(lang string, rec record) (string, bool) {
	if lang == "" {
		if rec.locale == flows.LocaleZhCN {
			return flows.LocaleZhCN, true
		}
		return flows.LocaleEnUS, true
	}
	return localeOf(lang)
}

// handleShare is POST /app/api/items/{id}/share {"lang"?}: the cardContent
// for tt.sendMessageCard: {"msg_type":"interactive","update_multi":true,
// "card":{JSON 1.0}}, its buttons those of the group card, checked against
// the 1.0 rules and the 20 KB bound.
func (h *Handler) handleShare(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Lang string `json:"lang"`
	}
	if !readOptionalBody(w, r, maxActionBody, &req) {
		return
	}
	rec, lang, ok := h.shareItem(w, r, req.Lang)
	if !ok {
		return
	}
	c, err := h.engine.ShareCard(r.Context(), rec.flow, rec.ID, lang)
	if errors.Is(err, flows.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such item")
		return
	}
	content := card.NewContent1(c)
	if err == nil {
		err = card.ValidateContent1(content)
	}
	if err != nil {
		h.log.Error("webapp: cannot build the share card", zap.String("record_id", rec.ID), zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "cannot build the card to share; try again")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cardContent": content})
}

// sentCard is one entry of tt.sendMessageCard's sendCardInfo. The seed's
// types are loose (openChatId typed "number"): status is read as a number,
// the ids as strings.
type sentCard struct {
	Status        *float64 `json:"status"`
	OpenChatID    string   `json:"openChatId"`
	OpenMessageID string   `json:"openMessageId"`
}

// handleShares is POST /app/api/items/{id}/shares {"sendCardInfo":[...],
// "lang"?}: the copies the client sent, recorded so that a click on one
// is answered with its own card. Entries whose status is not 0 or whose
// ids are malformed are skipped; at most 10 entries per call (the most
// tt.sendMessageCard sends); lang is the one the card was asked for with
// (as for share). Answers {"recorded": N, "chat_names": {CHAT_ID: NAME}},
// the names of the chats the copies went to, for the page's outcome (a
// chat botd cannot name, or the member is not in, is left out).
func (h *Handler) handleShares(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SendCardInfo []sentCard `json:"sendCardInfo"`
		Lang         string     `json:"lang"`
	}
	if !readBody(w, r, maxSharesBody, &req) {
		return
	}
	if len(req.SendCardInfo) > maxSharesPerCall {
		writeError(w, http.StatusBadRequest, "at most 10 sendCardInfo entries")
		return
	}
	rec, lang, ok := h.shareItem(w, r, req.Lang)
	if !ok {
		return
	}
	s := sessionFrom(r.Context())
	var shares []flows.Share
	for _, e := range req.SendCardInfo {
		if e.Status == nil || *e.Status != 0 {
			continue
		}
		shares = append(shares, flows.Share{MessageID: e.OpenMessageID, ChatID: e.OpenChatID, Lang: lang, By: s.OpenID, At: h.now()})
	}
	n, err := h.engine.RecordShares(r.Context(), rec.flow, rec.ID, shares)
	switch {
	case errors.Is(err, flows.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such item")
		return
	case err != nil:
		h.log.Error("webapp: cannot record shares", zap.String("record_id", rec.ID), zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "cannot record the shares; try again")
		return
	}
	// The chat ids come from the page: only the chats the member is in are
	// named, so that a forged id cannot reveal the name of another chat
	// botd is in.
	var chats []string
	for _, sh := range shares {
		if slices.Contains(chats, sh.ChatID) {
			continue
		}
		if in, err := h.engine.IsMember(r.Context(), sh.ChatID, s.OpenID); err == nil && in {
			chats = append(chats, sh.ChatID)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Recorded  int               `json:"recorded"`
		ChatNames map[string]string `json:"chat_names"`
	}{n, h.chatNames(r.Context(), chats)})
}

// shareItem is what share and shares start with: the member's item named
// in the path and the language its card is shared in; false when it has
// answered (503 without an engine, 404, 400 for a bad lang).
func (h *Handler) shareItem(w http.ResponseWriter, r *http.Request, reqLang string) (record, string, bool) {
	if h.engine == nil {
		writeError(w, http.StatusServiceUnavailable, "sharing is not available")
		return record{}, "", false
	}
	rec, ok := h.itemOr404(w, r)
	if !ok {
		return record{}, "", false
	}
	lang, ok := shareLang(reqLang, rec)
	if !ok {
		writeError(w, http.StatusBadRequest, `lang must be "zh" or "en"`)
		return record{}, "", false
	}
	return rec, lang, true
}

// readOptionalBody is readBody for a body that may be empty.
func readOptionalBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	return readJSONBody(w, r, limit, v, true)
}
