package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/botd/botd/internal/flows"
)

// reply is a 200 answer.
type reply struct {
	outcome string
	body    any // encoded as JSON; nil answers {}
}

type challengeAnswer struct {
	Challenge string `json:"challenge"`
}

var emptyObject = json.RawMessage(`{}`)

// errorToast is shown when a callback cannot be handled on our side.
var errorToast = &callback.Toast{
	Type:    "error",
	Content: "Something went wrong, please try again",
	I18nContent: map[string]string{
		"zh_cn": "出错了，请重试",
		"en_us": "Something went wrong, please try again",
	},
}

// callbackFailed is the answer to a verified callback that failed: still 200
// (anything else shows the user error 200671). The legacy format gets {}:
// whether it shows toasts is unconfirmed (§9.7), and an unknown answer shape
// risks error 200672 instead.
func callbackFailed(legacy bool) reply {
	if legacy {
		return reply{outcome: outcomeCallbackError, body: emptyObject}
	}
	return reply{outcome: outcomeCallbackError, body: callback.CardActionTriggerResponse{Toast: errorToast}}
}

// callbackAnswer encodes the flows' answer for the platform (§9.3):
//
//	{"toast": {"type", "content", "i18n"}, "card": {"type": "raw", "data": <card>}}
//
// with {} for an empty answer. The legacy format takes the replacement JSON
// 1.0 card itself, or {}; a toast has nowhere to go there and is dropped.
func callbackAnswer(a flows.Answer, legacy bool) (json.RawMessage, error) {
	var card json.RawMessage
	if a.Card != nil {
		var err error
		if card, err = encodeCard(a.Card); err != nil {
			return nil, err
		}
	}
	if legacy {
		if card == nil {
			return emptyObject, nil
		}
		return card, nil
	}
	var resp callback.CardActionTriggerResponse
	if t := a.Toast; t != nil {
		resp.Toast = &callback.Toast{Type: t.Type, Content: t.Content, I18nContent: t.I18n}
	}
	if card != nil {
		resp.Card = &callback.Card{Type: "raw", Data: card}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encoding callback answer: %w", err)
	}
	return b, nil
}

// encodeCard marshals a card and checks it is a JSON object: a string or
// null would be an answer the platform rejects (error 200672/200673).
func encodeCard(card any) (json.RawMessage, error) {
	b, err := json.Marshal(card)
	if err != nil {
		return nil, fmt.Errorf("encoding card: %w", err)
	}
	if !bytes.HasPrefix(b, []byte("{")) {
		return nil, errors.New("encoding card: not a JSON object")
	}
	return b, nil
}

// writeJSON writes the one answer of a request. Headers go before
// WriteHeader: the SDK's handler sets them after, and loses its Content-Type.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may be gone; nothing to do about it
}

// errorBody is the body of a refusal: the status text only, since the
// reason would help a forger more than the platform, which ignores it.
func errorBody(status int) []byte {
	b, _ := json.Marshal(map[string]string{"error": http.StatusText(status)})
	return b
}
