package webapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
)

// maxActionBody bounds the body of the small POSTs (actions, share).
const maxActionBody = 4 << 10

// actionsOf are the actions each kind of item may be asked for.
var actionsOf = map[string][]string{
	KindTodo:     {flows.WebDone, flows.WebReopen},
	KindReminder: {flows.WebCancel, flows.WebSnooze},
}

// handleMe is GET /app/api/me: who the session is. The page calls it
// first; a 401 (requireSession) sends it to log in.
func (h *Handler) handleMe(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]string{"open_id": s.OpenID, "name": s.Name, "tenant_key": s.TenantKey})
}

// toast is a toast for the page: its type and its text in the member's
// language.
type toast struct {
	Type string `json:"type"` // success, info, error, warning
	Text string `json:"text"`
}

func toastIn(t *flows.Toast, locale string) toast {
	if t == nil {
		return toast{Type: flows.ToastInfo}
	}
	text := t.I18n[locale]
	if text == "" {
		text = t.Content
	}
	return toast{Type: t.Type, Text: text}
}

// handleAction is POST /app/api/items/{id}/actions {"action"}: the member
// presses the item's group-card button for action (done, reopen, cancel,
// snooze), through the flow engine, which applies the flow's rules and
// effects as for a click on the card (its card job updates the group
// card). A refusal by those rules is a 200 with an error or info toast and
// the item unchanged; the answer carries the item as it now is.
func (h *Handler) handleAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string `json:"action"`
	}
	if !readBody(w, r, maxActionBody, &req) {
		return
	}
	if h.engine == nil {
		writeError(w, http.StatusServiceUnavailable, "actions are not available")
		return
	}
	rec, ok := h.itemOr404(w, r)
	if !ok {
		return
	}
	if !slices.Contains(actionsOf[rec.Kind], req.Action) {
		writeError(w, http.StatusBadRequest, "unknown action for this item")
		return
	}
	s := sessionFrom(r.Context())
	log := h.log.With(zap.String("record_id", rec.ID), zap.String("chat_id", rec.ChatID), zap.String("open_id", s.OpenID),
		zap.String("web_action", req.Action))
	ans, err := h.engine.PressWeb(r.Context(), rec.flow, rec.ID, req.Action, s.OpenID)
	switch {
	case errors.Is(err, flows.ErrUnknownWebAction):
		writeError(w, http.StatusBadRequest, "unknown action for this item")
		return
	case errors.Is(err, flows.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such item")
		return
	case err != nil:
		log.Error("webapp: action failed", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "the action could not be done; try again")
		return
	}
	now, ok := h.itemOr404(w, r)
	if !ok {
		return
	}
	t := toastIn(ans.Toast, h.lang(r))
	log.Info("webapp: action answered", zap.String("toast", t.Type))
	writeJSON(w, http.StatusOK, map[string]any{"item": now.Item, "toast": t})
}

// readBody reads a JSON object of at most limit bytes into v, or answers
// 413 or 400 and returns false.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	return readJSONBody(w, r, limit, v, false)
}

func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64, v any, emptyOK bool) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return false
	}
	if emptyOK && len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "body must be a JSON object")
		return false
	}
	return true
}
