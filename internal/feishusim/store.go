package feishusim

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// A store app's auth (应用商店应用), as the auth-v3 pages and the SDK's token
// manager (oapi-sdk-go v3.11.0 core/tokenmanager.go) describe it:
//
//	POST /open-apis/auth/v3/app_ticket/resend      {app_id, app_secret}
//	     → {code:0, msg}; the platform then pushes the v1 event app_ticket
//	       to the app's event URL (here: the Platform set with SetPlatform,
//	       after Options.AppTicketDelay)
//	POST /open-apis/auth/v3/app_access_token       {app_id, app_secret, app_ticket}
//	     → {code, msg, app_access_token, expire}
//	POST /open-apis/auth/v3/tenant_access_token    {app_access_token, tenant_key}
//	     → {code, msg, tenant_access_token, expire}
//
// The platform pushes a new app_ticket every hour; here only a resend or
// PushAppTicket does. Which tickets the platform accepts is not documented:
// the simulator accepts the last one pushed, and the one before it for
// ticketGrace after it was replaced (a replica may not have seen the new
// one yet); anything else is refused with 10012, the code the SDK treats as
// "app ticket invalid". Tokens follow the tenant token's documented rules
// (2 h, a new one within the last 30 min, the old one still valid).
//
// Codes the simulator chose for cases the docs leave open:
//
//	a store app calling tenant_access_token/internal, or a self-built app
//	calling a store endpoint                                  10015 (CodeAppTypeInvalid)
//	app_access_token: no or a stale/wrong app_ticket           10012 (CodeAppTicketInvalid)
//	tenant_access_token: unknown or expired app_access_token   99991664 (CodeAppTokenInvalid)
//	tenant_access_token: tenant_key not installed               10013 (CodeTenantNotInstalled)

// App types (Options.AppType).
const (
	AppTypeSelfBuilt = "self_built"
	AppTypeStore     = "store"
)

// ticketGrace is how long a replaced app_ticket is still accepted.
const ticketGrace = time.Hour

// storeState is a store app's tickets and app tokens; s.mu guards it.
type storeState struct {
	ticket     string    // the last ticket pushed; "" before the first
	prevTicket string    // the one before it
	prevUntil  time.Time // accepted until then (simulator clock)
	pushes     int       // tickets pushed (or attempted)
	resends    int       // resend requests answered

	appTokens  map[string]time.Time // app_access_token → expiry
	currentApp string

	wg     sync.WaitGroup // delayed pushes in flight
	ctx    context.Context
	cancel context.CancelFunc
	delay  time.Duration // AppTicketDelay, changeable (SetAppTicketDelay)
}

func newStoreState(delay time.Duration) *storeState {
	ctx, cancel := context.WithCancel(context.Background())
	return &storeState{appTokens: map[string]time.Time{}, ctx: ctx, cancel: cancel, delay: delay}
}

// SetPlatform names where the simulator pushes what the platform sends on
// its own: app_ticket (after a resend, or PushAppTicket), app_uninstalled
// (UninstallTenant) and app_open (InstallTenant). p's EventURL, AppID,
// VerificationToken and EncryptKey are used as for any delivery.
func (s *Server) SetPlatform(p *Platform) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.platform = p
}

// SetAppTicketDelay changes Options.AppTicketDelay for resends from now on.
func (s *Server) SetAppTicketDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.delay = d
}

// Close stops pushes that are waiting for their delay, and waits for those
// under way. The simulator keeps answering requests.
func (s *Server) Close() {
	s.store.cancel()
	s.store.wg.Wait()
}

// AppTicket is the last app_ticket pushed ("" before the first).
func (s *Server) AppTicket() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.ticket
}

// AppTicketStats says how many resends the app asked for and how many
// tickets were pushed.
func (s *Server) AppTicketStats() (resends, pushes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.resends, s.store.pushes
}

// PushAppTicket issues a new app_ticket (the previous one stays accepted for
// ticketGrace) and pushes it to the Platform set with SetPlatform, as the
// v1 event app_ticket, signed and encrypted like every delivery. It
// returns the bot's answer. Without a Platform it only issues the ticket.
func (s *Server) PushAppTicket(ctx context.Context) (Result, error) {
	s.mu.Lock()
	now := s.now()
	st := s.store
	if st.ticket != "" {
		st.prevTicket, st.prevUntil = st.ticket, now.Add(ticketGrace)
	}
	st.ticket = "tk_" + randHex(16)
	st.pushes++
	ticket, p := st.ticket, s.platform
	s.mu.Unlock()
	if p == nil {
		return Result{}, nil
	}
	return p.SendAppTicket(ctx, ticket)
}

// ticketOKLocked reports whether the platform accepts ticket now.
func (s *Server) ticketOKLocked(ticket string) bool {
	st := s.store
	switch {
	case ticket == "":
		return false
	case ticket == st.ticket:
		return true
	case ticket == st.prevTicket && s.now().Before(st.prevUntil):
		return true
	}
	return false
}

// handleTicketResend is POST /open-apis/auth/v3/app_ticket/resend.
func (s *Server) handleTicketResend(_ *http.Request, body []byte) (any, *apiError) {
	if _, err := s.appRequest(body, AppTypeStore, "app_ticket/resend is for store apps only"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.store.resends++
	d := s.store.delay
	s.mu.Unlock()
	if d >= 0 {
		s.store.wg.Add(1)
		go func() {
			defer s.store.wg.Done()
			ctx := s.store.ctx
			if d > 0 && !sleep(ctx, d) {
				return
			}
			if ctx.Err() != nil {
				return
			}
			if _, err := s.PushAppTicket(ctx); err != nil {
				s.log.Debug("feishusim: app_ticket push failed: " + err.Error())
			}
		}()
	}
	return map[string]any{"code": 0, "msg": "success"}, nil
}

type appTokenResponse struct {
	Code           int    `json:"code"`
	Msg            string `json:"msg"`
	AppAccessToken string `json:"app_access_token"`
	Expire         int    `json:"expire"`
}

// handleAppAccessToken is POST /open-apis/auth/v3/app_access_token.
func (s *Server) handleAppAccessToken(_ *http.Request, body []byte) (any, *apiError) {
	req, err := s.appRequest(body, AppTypeStore,
		"app_access_token with an app_ticket is for store apps; a self-built app uses app_access_token/internal")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ticketOKLocked(req.AppTicket) {
		return nil, refuse(CodeAppTicketInvalid, "app_ticket is invalid")
	}
	now := s.now()
	st := s.store
	for tok, exp := range st.appTokens {
		if !now.Before(exp) {
			delete(st.appTokens, tok)
		}
	}
	if exp, ok := st.appTokens[st.currentApp]; ok && exp.Sub(now) >= tokenRenewWindow {
		return appTokenResponse{Msg: "success", AppAccessToken: st.currentApp, Expire: int(exp.Sub(now) / time.Second)}, nil
	}
	st.currentApp = "a-" + randHex(20)
	st.appTokens[st.currentApp] = now.Add(tokenLifetime)
	return appTokenResponse{Msg: "success", AppAccessToken: st.currentApp, Expire: int(tokenLifetime / time.Second)}, nil
}

// handleStoreTenantToken is POST /open-apis/auth/v3/tenant_access_token: a
// store app's token for one tenant it is installed in.
func (s *Server) handleStoreTenantToken(_ *http.Request, body []byte) (any, *apiError) {
	var req struct {
		AppAccessToken string `json:"app_access_token"`
		TenantKey      string `json:"tenant_key"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.AppAccessToken == "":
		return nil, missing("app_access_token")
	case req.TenantKey == "":
		return nil, missing("tenant_key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.store.appTokens[req.AppAccessToken]
	if !ok || !s.now().Before(exp) {
		// Only a store app ever holds an app_access_token here.
		return nil, refuse(CodeAppTokenInvalid, "Invalid access token for authorization. Please make a request with token attached.")
	}
	t := s.tenants[req.TenantKey]
	if t == nil || !t.installed {
		return nil, refuse(CodeTenantNotInstalled, "the app is not installed in tenant %s", req.TenantKey)
	}
	tok, expire := s.issueTenantTokenLocked(t.key)
	return tokenResponse{Msg: "success", TenantAccessToken: tok, Expire: expire}, nil
}
