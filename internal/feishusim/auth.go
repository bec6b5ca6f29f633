package feishusim

import (
	"mime"
	"net/http"
	"strings"
	"time"
)

const (
	tokenPath = "/open-apis/auth/v3/tenant_access_token/internal"
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

// handleTenantToken is POST /open-apis/auth/v3/tenant_access_token/internal.
// The answer's fields are top-level, not under data.
func (s *Server) handleTenantToken(_ *http.Request, body []byte) (any, *apiError) {
	var req struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if req.AppID == "" || req.AppID != s.opts.AppID {
		return nil, refuse(CodeAppInvalid, "invalid param: app_id")
	}
	if req.AppSecret != s.opts.AppSecret {
		return nil, refuse(CodeAppSecretInvalid, "app secret invalid")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, tok)
		}
	}
	if exp, ok := s.tokens[s.current]; ok && exp.Sub(now) >= tokenRenewWindow {
		return tokenResponse{Msg: "ok", TenantAccessToken: s.current, Expire: int(exp.Sub(now) / time.Second)}, nil
	}
	s.current = "t-" + randHex(20)
	s.tokens[s.current] = now.Add(tokenLifetime)
	return tokenResponse{Msg: "ok", TenantAccessToken: s.current, Expire: int(tokenLifetime / time.Second)}, nil
}

// requireToken admits requests carrying a tenant_access_token this
// simulator issued and that has not expired by the simulator's clock.
func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkToken(r.Header.Get("Authorization")); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) checkToken(auth string) *apiError {
	if auth == "" {
		return refuse(CodeTokenMissing, "Missing access token for authorization. Please make a request with token attached.")
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return refuse(CodeTokenBadFormat, "Invalid access token format: want \"Bearer <tenant_access_token>\"")
	}
	s.mu.Lock()
	exp, issued := s.tokens[strings.TrimSpace(token)]
	s.mu.Unlock()
	if !issued || !s.now().Before(exp) {
		return refuse(CodeTokenInvalid, "Invalid access token for authorization. Please make a request with token attached.")
	}
	return nil
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
