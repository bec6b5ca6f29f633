package feishusim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The web app's side of the platform (docs/feishu-platform.md §13): the
// JSSDK ticket, the OAuth v2 code exchange and user_info. Codes are what
// tt.requestAccess would hand the page; tests and the playground issue them
// with IssueAuthCode.

const (
	// TicketLifetime is the documented life of a jsapi_ticket (expire_in).
	TicketLifetime = 2 * time.Hour
	// AuthCodeLifetime is the documented life of a tt.requestAccess code.
	AuthCodeLifetime = 3 * time.Minute
	// userTokenLifetime is the documented expires_in of a user_access_token.
	userTokenLifetime = 2 * time.Hour
)

// Codes of the web app endpoints (feishu-platform.md §13.2, §12).
const (
	CodeOAuthMissingField  = 20001 // a required field is missing
	CodeOAuthBadSecret     = 20002 // client_secret wrong
	CodeOAuthUnknownCode   = 20003 // no such code
	CodeOAuthExpiredCode   = 20004 // the code's 3 minutes are over
	CodeOAuthBadGrantType  = 20036 // grant_type is not authorization_code
	CodeOAuthUnknownApp    = 20048 // client_id is not this app
	CodeOAuthCodeUsed      = 20065 // the code was exchanged already
	CodeUserTokenInvalid   = 99991668
	CodeUserTokenExpired   = 99991677
	webAppTicketPrefix     = "tk-"
	webAppUserTokenPrefix  = "u-"
	webAppCodePrefix       = "code-"
	webAppMaxCodesRetained = 10000
)

// webState is what the web app endpoints remember. It has its own lock so
// that it never nests inside s.mu.
type webState struct {
	mu         sync.Mutex
	jsTickets  map[string]jsTicket // per tenant: a ticket is fetched with a tenant's token
	tickets    int                 // how many tickets were handed out (a fetch count for tests)
	codes      map[string]*authCode
	userTokens map[string]userToken
}

type jsTicket struct {
	ticket string
	exp    time.Time
}

// authCode and userToken belong to a user of one tenant.
type authCode struct {
	tenant string
	openID string
	exp    time.Time
	used   bool
}

type userToken struct {
	tenant string
	openID string
	exp    time.Time
}

func newWebState() *webState {
	return &webState{jsTickets: map[string]jsTicket{}, codes: map[string]*authCode{}, userTokens: map[string]userToken{}}
}

// JSAPITicket returns the default tenant's jsapi_ticket currently valid
// (empty when none was handed out or it expired): the simulated client
// signs with it.
func (s *Server) JSAPITicket() string { return s.defaultTenant().JSAPITicket() }

// JSAPITicket returns the tenant's jsapi_ticket currently valid, or "".
func (t *Tenant) JSAPITicket() string {
	w := t.s.web
	w.mu.Lock()
	defer w.mu.Unlock()
	jt := w.jsTickets[t.key]
	if jt.ticket == "" || !t.s.now().Before(jt.exp) {
		return ""
	}
	return jt.ticket
}

// TicketFetches is how many times POST /open-apis/jssdk/ticket/get answered
// with a ticket.
func (s *Server) TicketFetches() int {
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	return s.web.tickets
}

// IssueAuthCode is tt.requestAccess: a single-use code for the user openID,
// valid AuthCodeLifetime on the simulator's clock. The user must have been
// added with AddUser.
func (s *Server) IssueAuthCode(openID string) (string, error) {
	return s.defaultTenant().IssueAuthCode(openID)
}

// IssueAuthCode is Server.IssueAuthCode for a user of this tenant: the
// user_info the code leads to names this tenant.
func (t *Tenant) IssueAuthCode(openID string) (string, error) {
	s := t.s
	s.mu.Lock()
	_, ok := s.tenantLocked(t.key).users[openID]
	s.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("feishusim: unknown user %q in tenant %s", openID, t.key)
	}
	w := s.web
	w.mu.Lock()
	defer w.mu.Unlock()
	now := s.now()
	if len(w.codes) >= webAppMaxCodesRetained {
		for c, ac := range w.codes {
			if !now.Before(ac.exp) {
				delete(w.codes, c)
			}
		}
	}
	code := webAppCodePrefix + randHex(16)
	w.codes[code] = &authCode{tenant: t.key, openID: openID, exp: now.Add(AuthCodeLifetime)}
	return code, nil
}

// handleJSAPITicket is POST /open-apis/jssdk/ticket/get (tenant token
// checked by the router). Like the tenant token, the same ticket is handed
// out until it is close to expiry.
func (s *Server) handleJSAPITicket(r *http.Request, _ []byte) (any, *apiError) {
	tenant := s.reqTenant(r.Context())
	w := s.web
	w.mu.Lock()
	defer w.mu.Unlock()
	now := s.now()
	jt := w.jsTickets[tenant]
	if jt.ticket == "" || jt.exp.Sub(now) < tokenRenewWindow {
		jt = jsTicket{ticket: webAppTicketPrefix + randHex(20), exp: now.Add(TicketLifetime)}
		w.jsTickets[tenant] = jt
	}
	w.tickets++
	return map[string]any{"code": 0, "msg": "ok", "data": map[string]any{
		"ticket":    jt.ticket,
		"expire_in": int(jt.exp.Sub(now) / time.Second),
	}}, nil
}

// handleOAuthToken is POST /open-apis/authen/v2/oauth/token with
// grant_type authorization_code. The answer is flat (not under data).
func (s *Server) handleOAuthToken(_ *http.Request, body []byte) (any, *apiError) {
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Code         string `json:"code"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.GrantType == "" || req.ClientID == "" || req.ClientSecret == "" || req.Code == "":
		return nil, refuse(CodeOAuthMissingField, "required field missing: grant_type, client_id, client_secret and code are required")
	case req.GrantType != "authorization_code":
		return nil, refuse(CodeOAuthBadGrantType, "unsupported grant_type")
	case req.ClientID != s.opts.AppID:
		return nil, refuse(CodeOAuthUnknownApp, "app not found")
	case subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(s.opts.AppSecret)) != 1:
		return nil, refuse(CodeOAuthBadSecret, "client secret invalid")
	}
	w := s.web
	w.mu.Lock()
	defer w.mu.Unlock()
	now := s.now()
	ac, ok := w.codes[req.Code]
	switch {
	case !ok:
		return nil, refuse(CodeOAuthUnknownCode, "code not found")
	case ac.used:
		return nil, refuse(CodeOAuthCodeUsed, "code already used")
	case !now.Before(ac.exp):
		return nil, refuse(CodeOAuthExpiredCode, "code expired")
	}
	ac.used = true
	tok := webAppUserTokenPrefix + randHex(20)
	for t, ut := range w.userTokens {
		if !now.Before(ut.exp) {
			delete(w.userTokens, t)
		}
	}
	w.userTokens[tok] = userToken{tenant: ac.tenant, openID: ac.openID, exp: now.Add(userTokenLifetime)}
	return map[string]any{
		"code":         0,
		"access_token": tok,
		"expires_in":   int(userTokenLifetime / time.Second),
		"token_type":   "Bearer",
		"scope":        "",
	}, nil
}

// handleUserInfo is GET /open-apis/authen/v1/user_info with a user access
// token (a tenant token is refused: it names no user).
func (s *Server) handleUserInfo(r *http.Request, _ []byte) (any, *apiError) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, refuse(CodeTokenMissing, "Missing access token for authorization. Please make a request with token attached.")
	}
	scheme, tok, ok := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, refuse(CodeTokenBadFormat, "Invalid access token format: want \"Bearer <user_access_token>\"")
	}
	w := s.web
	w.mu.Lock()
	ut, issued := w.userTokens[tok]
	w.mu.Unlock()
	if !issued {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: CodeUserTokenInvalid, Msg: "Invalid access token for authorization. Please make a request with token attached."}
	}
	if !s.now().Before(ut.exp) {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: CodeUserTokenExpired, Msg: "The user access token passed is expired."}
	}
	s.mu.Lock()
	u, ok := s.tenantLocked(ut.tenant).users[ut.openID]
	var user User
	if ok {
		user = *u
	}
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: CodeUserTokenInvalid, Msg: "user not found"}
	}
	return map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"name":       user.Name,
		"en_name":    user.Name,
		"open_id":    user.OpenID,
		"union_id":   "on_" + strings.TrimPrefix(user.OpenID, "ou_"),
		"user_id":    user.UserID,
		"email":      user.Email,
		"tenant_key": ut.tenant,
	}}, nil
}
