package feishusim

import (
	"context"
	"crypto/subtle"
	"mime"
	"net/http"
	"strings"
	"time"
)

const (
	tokenPath = "/open-apis/auth/v3/tenant_access_token/internal"
	// authPathPrefix: the secrets, tickets and app tokens in the request
	// bodies of every route under it are redacted in the call log.
	authPathPrefix = "/open-apis/auth/"
	oauthTokenPath = "/open-apis/authen/v2/oauth/token" // client_secret in the body
	// tokenLifetime is the documented maximum life of a tenant_access_token.
	tokenLifetime = 2 * time.Hour
	// tokenRenewWindow: a token request made when the current token has less
	// than this left gets a new token; the old one stays valid until it expires.
	tokenRenewWindow = 30 * time.Minute
)

type tokenResponse struct {
	Code              int    `json:"code"`
	Msg               string `json:"msg"`
	TenantAccessToken string `json:"tenant_access_token"`
	Expire            int    `json:"expire"` // seconds left
}

// issuedToken is a tenant_access_token: when it expires and the tenant it
// is for. A call with it acts in that tenant only.
type issuedToken struct {
	exp    time.Time
	tenant string
}

// handleTenantToken is POST /open-apis/auth/v3/tenant_access_token/internal,
// a self-built app's token for its (the default) tenant. The answer's
// fields are top-level, not under data. A store app may not use it.
func (s *Server) handleTenantToken(_ *http.Request, body []byte) (any, *apiError) {
	if _, err := s.appRequest(body, AppTypeSelfBuilt,
		"tenant_access_token/internal is for self-built apps; a store app uses /open-apis/auth/v3/tenant_access_token with its app_access_token and a tenant_key"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, expire := s.issueTenantTokenLocked(s.opts.TenantKey)
	return tokenResponse{Msg: "ok", TenantAccessToken: tok, Expire: expire}, nil
}

// checkApp checks the app's credentials in a token request.
// appCredentials are the body of the app-authenticated auth endpoints;
// AppTicket only on a store app's app_access_token.
type appCredentials struct {
	AppID     string `json:"app_id"`
	AppSecret string `json:"app_secret"`
	AppTicket string `json:"app_ticket"`
}

// appRequest reads an auth endpoint's body, checks the app's credentials,
// and refuses the endpoint to an app of the other type (wrongType says
// which endpoint it should use).
func (s *Server) appRequest(body []byte, appType, wrongType string) (appCredentials, *apiError) {
	var req appCredentials
	if err := decodeBody(body, &req); err != nil {
		return req, err
	}
	if err := s.checkApp(req.AppID, req.AppSecret); err != nil {
		return req, err
	}
	if s.opts.AppType != appType {
		return req, refuse(CodeAppTypeInvalid, "%s", wrongType)
	}
	return req, nil
}

func (s *Server) checkApp(appID, secret string) *apiError {
	if appID == "" || appID != s.opts.AppID {
		return refuse(CodeAppInvalid, "invalid param: app_id")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.AppSecret)) != 1 {
		return refuse(CodeAppSecretInvalid, "app secret invalid")
	}
	return nil
}

// issueTenantTokenLocked hands out the tenant's current token, or a new one
// when the current one has less than tokenRenewWindow left (the old one
// stays valid until it expires). Callers hold s.mu.
func (s *Server) issueTenantTokenLocked(tenant string) (string, int) {
	now := s.now()
	for tok, it := range s.tokens {
		if !now.Before(it.exp) {
			delete(s.tokens, tok)
		}
	}
	if cur := s.current[tenant]; cur != "" {
		if it, ok := s.tokens[cur]; ok && it.exp.Sub(now) >= tokenRenewWindow {
			return cur, int(it.exp.Sub(now) / time.Second)
		}
	}
	tok := "t-" + randHex(20)
	s.current[tenant] = tok
	s.tokens[tok] = issuedToken{exp: now.Add(tokenLifetime), tenant: tenant}
	return tok, int(tokenLifetime / time.Second)
}

// requireToken admits requests carrying a tenant_access_token this
// simulator issued and that has not expired by the simulator's clock, and
// puts the token's tenant into the request's context: the handlers act in
// that tenant only.
func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, err := s.checkToken(r.Header.Get("Authorization"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantCtxKey{}, tenant)))
	})
}

func (s *Server) checkToken(auth string) (string, *apiError) {
	if auth == "" {
		return "", refuse(CodeTokenMissing, "Missing access token for authorization. Please make a request with token attached.")
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", refuse(CodeTokenBadFormat, "Invalid access token format: want \"Bearer <tenant_access_token>\"")
	}
	s.mu.Lock()
	it, issued := s.tokens[strings.TrimSpace(token)]
	s.mu.Unlock()
	if !issued || !s.now().Before(it.exp) {
		return "", refuse(CodeTokenInvalid, "Invalid access token for authorization. Please make a request with token attached.")
	}
	return it.tenant, nil
}

// requireJSON enforces the documented request header for bodies:
// "Content-Type: application/json; charset=utf-8" (the value oapi-sdk-go
// always sends, v3.5.4 and v3.11.0 alike). Case and spacing are free; a
// missing charset, another charset or another media type is refused, so a
// hand-rolled client that drifts from the docs is caught here rather than in
// production.
func (s *Server) requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hasBody := len(callFrom(r.Context()).body) > 0
		if (r.Method == http.MethodPost || r.Method == http.MethodPatch) && hasBody {
			if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func checkContentType(v string) *apiError {
	const want = `Content-Type must be "application/json; charset=utf-8"`
	if v == "" {
		return refuse(CodeBadRequest, "%s, got none", want)
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt != "application/json" || !strings.EqualFold(params["charset"], "utf-8") {
		return refuse(CodeBadRequest, "%s, got %q", want, v)
	}
	return nil
}
