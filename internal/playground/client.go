package playground

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/feishusim"
)

// The simulated Feishu/Lark client's side of the web app: what
// web/clientsim.js (window.h5sdk and window.tt in the page the proxy
// serves, webapp.go) asks of the platform. Each answer is what the real
// client would hand the page's callbacks (feishu-platform.md §13).

// clientAnswers are the errCodes of tt.sendMessageCard (the seed) the page
// can be made to see: -6 is the member's cancel, the others are failures.
var clientAnswers = []int{-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, 42406}

// clientSettings is one member's simulated client.
type clientSettings struct {
	// Language is what tt.getSystemInfo reports: "en_US" or "zh_CN".
	Language string `json:"language"`
	// NextAnswer, when not 0, is the errCode the next tt.sendMessageCard
	// answers with (once), whatever the member picks.
	NextAnswer int `json:"next_answer"`
	// OldClient plays a client before 6.9.0: no tt.requestAccess, so the
	// page falls back to tt.requestAuthCode.
	OldClient bool `json:"old_client"`
}

// maxTriggers bounds the chat "+" menu openings remembered.
const maxTriggers = 1000

type trigger struct{ member, chat string }

// clientState is every member's simulated client.
type clientState struct {
	mu       sync.Mutex
	settings map[string]clientSettings
	triggers map[string]trigger // triggerCode -> who opened the app from which chat
}

func (c *clientState) get(member string, def clientSettings) clientSettings {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.settings[member]; ok {
		return st
	}
	return def
}

func (c *clientState) set(member string, st clientSettings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.settings == nil {
		c.settings = map[string]clientSettings{}
	}
	c.settings[member] = st
}

// takeNext returns and clears the member's forced next answer.
func (c *clientState) takeNext(member string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.settings[member]
	code := st.NextAnswer
	if code != 0 {
		st.NextAnswer = 0
		c.settings[member] = st
	}
	return code
}

func (c *clientState) addTrigger(code string, t trigger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.triggers == nil {
		c.triggers = map[string]trigger{}
	}
	if len(c.triggers) >= maxTriggers {
		clear(c.triggers) // a playground session opens a handful
	}
	c.triggers[code] = t
}

func (c *clientState) trigger(code string) (trigger, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.triggers[code]
	return t, ok
}

func (s *Server) defaultSettings(m Member) clientSettings {
	lang := "en_US"
	if m.Locale == "zh_cn" {
		lang = "zh_CN"
	}
	return clientSettings{Language: lang}
}

// clientMember resolves the member of a simulated client's request.
func (s *Server) clientMember(w http.ResponseWriter, openID string) (Member, bool) {
	m, ok := s.world.Member(openID)
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown member %q", openID)
	}
	return m, ok
}

// handleClientSettings is GET /api/client/settings?member=.
func (s *Server) handleClientSettings(w http.ResponseWriter, r *http.Request) {
	m, ok := s.clientMember(w, r.URL.Query().Get("member"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.client.get(m.OpenID, s.defaultSettings(m)))
}

type settingsRequest struct {
	Member string `json:"member"`
	clientSettings
}

// handleSetClientSettings is POST /api/client/settings: the playground's
// controls for a member's client.
func (s *Server) handleSetClientSettings(w http.ResponseWriter, r *http.Request) {
	var req settingsRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, ok := s.clientMember(w, req.Member)
	if !ok {
		return
	}
	if req.Language != "en_US" && req.Language != "zh_CN" {
		writeError(w, http.StatusBadRequest, "language is en_US or zh_CN")
		return
	}
	if req.NextAnswer != 0 && !slices.Contains(clientAnswers, req.NextAnswer) {
		writeError(w, http.StatusBadRequest, "next_answer is 0 or one of the documented errCodes %v", clientAnswers)
		return
	}
	s.client.set(m.OpenID, req.clientSettings)
	writeJSON(w, http.StatusOK, req.clientSettings)
}

type configRequest struct {
	Member    string `json:"member"`
	URL       string `json:"url"` // the page's own address, as the client knows it
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// clientResult is what the client hands the page's callback: success
// (OK) or fail, with the result object.
type clientResult struct {
	OK  bool           `json:"ok"`
	Res map[string]any `json:"res"`
}

func failed(api string, code int, msg string) clientResult {
	errMsg := api + ":fail"
	if msg != "" {
		errMsg += " " + msg
	}
	return clientResult{Res: map[string]any{"errCode": code, "errMsg": errMsg}}
}

// handleClientConfig is h5sdk.config: the signature must be the
// simulator's current jsapi_ticket's for the page's URL, or config fails
// as the client's onFail.
func (s *Server) handleClientConfig(w http.ResponseWriter, r *http.Request) {
	var req configRequest
	if !readJSON(w, r, &req) {
		return
	}
	if _, ok := s.clientMember(w, req.Member); !ok {
		return
	}
	err := s.sim.VerifyJSSDKConfig(req.AppID, req.Timestamp, req.NonceStr, req.URL, req.Signature)
	if err != nil {
		// The real client's codes for these are not documented.
		s.log.Info("simulated client: h5sdk.config failed", zap.String("member", req.Member), zap.Error(err))
		writeJSON(w, http.StatusOK, failed("config", configErrCode(err), strings.TrimPrefix(err.Error(), "feishusim: ")))
		return
	}
	writeJSON(w, http.StatusOK, clientResult{OK: true, Res: map[string]any{"errMsg": "config:ok"}})
}

func configErrCode(err error) int {
	switch {
	case errors.Is(err, feishusim.ErrConfigBadSignature):
		return 2
	case errors.Is(err, feishusim.ErrConfigNoTicket):
		return 3
	case errors.Is(err, feishusim.ErrConfigWrongApp):
		return 4
	default:
		return 1
	}
}

type accessRequest struct {
	Member string `json:"member"`
	AppID  string `json:"appId"`
	API    string `json:"api"` // "requestAccess" or "requestAuthCode"
}

// handleClientAccess is tt.requestAccess (and tt.requestAuthCode): a
// single-use login code for the member from the simulator's OAuth code
// store, which botd then exchanges at /open-apis/authen/v2/oauth/token.
func (s *Server) handleClientAccess(w http.ResponseWriter, r *http.Request) {
	var req accessRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, ok := s.clientMember(w, req.Member)
	if !ok {
		return
	}
	if req.API != "requestAccess" && req.API != "requestAuthCode" {
		writeError(w, http.StatusBadRequest, "api is requestAccess or requestAuthCode")
		return
	}
	if req.AppID != s.sim.Options().AppID {
		writeJSON(w, http.StatusOK, failed(req.API, 10236, "invalid appID"))
		return
	}
	code, err := s.sim.IssueAuthCode(m.OpenID)
	if err != nil {
		writeJSON(w, http.StatusOK, failed(req.API, 10235, err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, clientResult{OK: true, Res: map[string]any{"code": code, "errMsg": req.API + ":ok"}})
}

// pickerChat is a chat as the client's picker lists it.
type pickerChat struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Mode string `json:"mode"`
}

// handleClientChats is the chat picker's list: the member's chats.
func (s *Server) handleClientChats(w http.ResponseWriter, r *http.Request) {
	m, ok := s.clientMember(w, r.URL.Query().Get("member"))
	if !ok {
		return
	}
	out := []pickerChat{}
	for _, c := range s.sim.UserChats(m.OpenID) {
		name := c.Name
		if c.Mode == "p2p" && name == "" {
			name = s.world.BotName
		}
		out = append(out, pickerChat{ID: c.ID, Name: name, Mode: c.Mode})
	}
	writeJSON(w, http.StatusOK, map[string]any{"chats": out})
}

type triggerRequest struct {
	Member string `json:"member"`
	Chat   string `json:"chat"`
}

// handleClientTrigger opens the web app from a chat's "+" menu: a
// triggerCode for that chat, and the page URL the client opens with it.
func (s *Server) handleClientTrigger(w http.ResponseWriter, r *http.Request) {
	var req triggerRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, chat, ok := s.memberIn(w, req.Member, req.Chat)
	if !ok {
		return
	}
	code := "tc_" + randomHex(12)
	s.client.addTrigger(code, trigger{member: m.OpenID, chat: chat.ID})
	writeJSON(w, http.StatusOK, map[string]string{
		"trigger_code": code,
		"url":          webAppPrefix + m.OpenID + "/app/?triggerCode=" + code,
	})
}

type sendCardRequest struct {
	Member      string          `json:"member"`
	ChatIDs     []string        `json:"openChatIDs"` // the chats picked, or given by the page
	TriggerCode string          `json:"triggerCode"`
	CardContent json.RawMessage `json:"cardContent"`
}

// handleClientSendCard is tt.sendMessageCard once the member picked the
// chats (or the page gave them, or a triggerCode names one): the
// simulator sends the card into them as the member's client would, and the
// answer is the success or fail result the page gets. A forced answer set
// in the playground's controls wins, once.
func (s *Server) handleClientSendCard(w http.ResponseWriter, r *http.Request) {
	var req sendCardRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, ok := s.clientMember(w, req.Member)
	if !ok {
		return
	}
	chats := req.ChatIDs
	if len(chats) == 0 && req.TriggerCode != "" {
		// openChatIDs win over triggerCode when both are given (the seed).
		if t, ok := s.client.trigger(req.TriggerCode); ok && t.member == m.OpenID {
			chats = []string{t.chat}
		} else {
			writeJSON(w, http.StatusOK, failed("sendMessageCard", -10, "unknown triggerCode"))
			return
		}
	}
	forced := s.client.takeNext(m.OpenID)
	res := s.sendCard(m.OpenID, chats, req.CardContent, forced)
	s.changes.notify()
	writeJSON(w, http.StatusOK, res)
}

// answerFor is a forced errCode's result: -6 is the cancel; 42406 (the
// note failed) comes after a real send, with its sendCardInfo; -5 and -8
// name the chats as failed; the rest carry nothing else.
func answerFor(code int, chats []string, sent []map[string]any) clientResult {
	res := failed("sendMessageCard", code, forcedMsg(code))
	switch code {
	case 42406:
		res.Res["sendCardInfo"] = sent
		info := make([]map[string]any, 0, len(sent))
		for _, e := range sent {
			info = append(info, map[string]any{"status": 1, "openChatId": e["openChatId"], "message": ""})
		}
		res.Res["additionalMessageInfo"] = info
	case -5, -8:
		res.Res["failedOpenChatIDs"] = slices.Clone(chats)
	}
	return res
}

func forcedMsg(code int) string {
	if code == -6 {
		return "cancel"
	}
	return "errCode " + strconv.Itoa(code) + " (forced by the playground)"
}
