package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/feishusim"
)

// maxRequest caps the JSON the page may send (a pasted card is the largest).
const maxRequest = 1 << 20

// maxText is the longest message a member may type here; the platform's
// own limit (150 KB) is far above anything a command needs.
const maxText = 4000

var typedSeq atomic.Int64

// worldView is the world as the page reads it, with the example commands
// of botd's flows (the registry's: flows.Exampler) for the message box.
type worldView struct {
	World
	Examples []string `json:"examples"`
	NextDue  bool     `json:"next_due"` // the "next due" button works
	WebApp   bool     `json:"web_app"`  // botd's web app can be opened as a member (webapp.go)
	// ClientAnswers are the errCodes a member's simulated client can be
	// told to answer tt.sendMessageCard with (client.go).
	ClientAnswers []int `json:"client_answers"`
}

func (s *Server) handleWorld(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, worldView{World: s.world, Examples: s.examples(), NextDue: s.due != nil,
		WebApp: s.webApp != nil, ClientAnswers: clientAnswers})
}

func (s *Server) handleState(w http.ResponseWriter, _ *http.Request) {
	v := s.view()
	v.Columns = v.Chats[s.world.ChatID]
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleCalls(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.sim.Calls())
}

type sendRequest struct {
	Member string `json:"member"`
	Chat   string `json:"chat,omitempty"` // a chat of the world the member is in; default the first
	Text   string `json:"text"`
}

// delivery is botd's answer to an event or callback the playground sent.
type delivery struct {
	Status int    `json:"status"`
	Body   string `json:"body,omitempty"`
}

// handleSend is a member typing a message: the platform shows it to the
// chat and delivers im.message.receive_v1 to botd, signed and encrypted.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, chat, ok := s.memberIn(w, req.Member, req.Chat)
	if !ok {
		return
	}
	text := strings.TrimSpace(req.Text)
	if text == "" || len(text) > maxText {
		writeError(w, http.StatusBadRequest, "a message is 1 to %d bytes", maxText)
		return
	}
	wire, mentions := s.mentions(text)
	s.chat.addTyped(typed{id: "typed_" + strconv.FormatInt(typedSeq.Add(1), 10), chat: chat.ID, from: m.OpenID, text: text, at: s.clock.Now()})
	s.changes.notify()

	res, err := s.platform.SendText(r.Context(), feishusim.MessageOpts{
		ChatID: chat.ID, ChatType: chat.ChatType(), SenderOpenID: m.OpenID, Text: wire, Mentions: mentions,
	})
	if err != nil {
		s.log.Warn("cannot deliver the message event to botd", zap.Error(err))
		writeError(w, http.StatusBadGateway, "botd did not answer: %v", err)
		return
	}
	s.log.Debug("message delivered", zap.String("member", m.Name), zap.Int("status", res.Status))
	writeJSON(w, http.StatusOK, delivery{Status: res.Status, Body: string(res.Body)})
}

// memberIn resolves a request's member and chat (default: the first
// chat), answering 400 itself when either is unknown or the member is not
// in the chat.
func (s *Server) memberIn(w http.ResponseWriter, member, chatID string) (Member, Chat, bool) {
	m, ok := s.world.Member(member)
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown member %q", member)
		return Member{}, Chat{}, false
	}
	c, ok := s.world.Chat(chatID)
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown chat %q", chatID)
		return Member{}, Chat{}, false
	}
	if !c.HasMember(m.OpenID) {
		writeError(w, http.StatusBadRequest, "%s is not in the chat %s", m.Name, c.Name)
		return Member{}, Chat{}, false
	}
	return m, c, true
}

// mentionRE finds what a member types to mention someone: "@Bob".
var mentionRE = regexp.MustCompile(`@([\p{L}\p{N}_.-]+)`)

// mentions turns "@Name" of a member or the bot into the placeholders the
// platform delivers ("@_user_1") and their mention list, as the client does
// when a name is picked from its mention menu. Other "@" text stays as is.
func (s *Server) mentions(text string) (string, []feishusim.Mention) {
	byName := map[string]feishusim.Mention{strings.ToLower(s.world.BotName): {OpenID: s.world.BotOpenID, Name: s.world.BotName}}
	for _, m := range s.world.Members {
		byName[strings.ToLower(m.Name)] = feishusim.Mention{OpenID: m.OpenID, Name: m.Name}
	}
	var out []feishusim.Mention
	wire := mentionRE.ReplaceAllStringFunc(text, func(tok string) string {
		who, ok := byName[strings.ToLower(tok[1:])]
		if !ok {
			return tok
		}
		who.Key = fmt.Sprintf("@_user_%d", len(out)+1)
		out = append(out, who)
		return who.Key
	})
	return wire, out
}

type actionRequest struct {
	Member    string      `json:"member"`
	Chat      string      `json:"chat,omitempty"` // the chat the card is in; default the first
	MessageID string      `json:"message_id"`
	Button    string      `json:"button"`           // the clicked button's name
	Form      []formField `json:"form,omitempty"`   // the form's inputs, for a submit
	Submit    bool        `json:"submit,omitempty"` // a form submit: form_value is sent even when empty
}

// Toast is the notice a member's client shows after a click.
type Toast struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

type actionResponse struct {
	delivery
	Toast    *Toast `json:"toast,omitempty"`
	Replaced bool   `json:"replaced"` // the answer carried a card that replaced this member's copy
}

// callbackAnswer is the body of botd's answer to card.action.trigger (§9.3).
type callbackAnswer struct {
	Toast *struct {
		Type    string            `json:"type"`
		Content string            `json:"content"`
		I18n    map[string]string `json:"i18n"`
	} `json:"toast"`
	Card *struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"card"`
}

// handleAction is a member clicking a button on a card they can see, or
// submitting its form: the platform delivers card.action.trigger with the
// button's callback value and, for a submit, the form's values.
func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, chat, ok := s.memberIn(w, req.Member, req.Chat)
	if !ok {
		return
	}
	item, ok := findCard(s.view(), chat.ID, m.OpenID, req.MessageID)
	if !ok {
		writeError(w, http.StatusNotFound, "%s sees no card %q in %s", m.Name, req.MessageID, chat.Name)
		return
	}
	value, ok := feishusim.ButtonValue(item.Card, req.Button)
	if !ok {
		writeError(w, http.StatusBadRequest, "the card has no callback button %q", req.Button)
		return
	}
	var formValue map[string]any
	if req.Submit || len(req.Form) > 0 {
		fv, err := buildFormValue(req.Form, m.Timezone, s.clock.Now())
		if err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
		formValue = fv
	}
	res, err := s.platform.ClickButton(r.Context(), feishusim.ActionOpts{
		OperatorOpenID: m.OpenID, ChatID: chat.ID, MessageID: req.MessageID,
		Value: value, FormValue: formValue, Name: req.Button, Tag: "button", Timezone: m.Timezone,
	})
	if err != nil {
		s.log.Warn("cannot deliver the callback to botd", zap.Error(err))
		writeError(w, http.StatusBadGateway, "botd did not answer: %v", err)
		return
	}
	out := actionResponse{delivery: delivery{Status: res.Status, Body: string(res.Body)}}
	if res.Status != http.StatusOK {
		// What the client shows for a non-200 answer (§9.4).
		out.Toast = &Toast{Type: "error", Content: fmt.Sprintf("Error 200671: botd answered HTTP %d", res.Status)}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var ans callbackAnswer
	if err := json.Unmarshal(res.Body, &ans); err != nil {
		out.Toast = &Toast{Type: "error", Content: "Error 200672: botd's answer is not valid JSON"}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if ans.Toast != nil {
		content := ans.Toast.Content
		if t, ok := ans.Toast.I18n[m.Locale]; ok && t != "" {
			content = t
		}
		out.Toast = &Toast{Type: ans.Toast.Type, Content: content}
	}
	if ans.Card != nil && ans.Card.Type == "raw" && len(ans.Card.Data) > 0 {
		s.chat.setOverride(m.OpenID, req.MessageID, override{card: ans.Card.Data, baseUpdates: item.Updates})
		out.Replaced = true
		s.changes.notify()
	}
	writeJSON(w, http.StatusOK, out)
}

// readJSON decodes the request body into v, answering 400 itself on failure.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body over %d bytes", maxRequest)
			return false
		}
		writeError(w, http.StatusBadRequest, "cannot read the request: %v", err)
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "request is not the expected JSON: %v", err)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}
