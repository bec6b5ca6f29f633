package webapp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/tenant"
)

// SessionCookie is the name of the web app's session cookie.
const SessionCookie = "botd_session"

const (
	maxSessionBody = 4 << 10
	sessionIDBytes = 32 // 256 bits
)

// session is what the cache keeps for a login, under the hash of its id
// (the id itself is only in the member's cookie, so a cache dump cannot be
// replayed). It is keyed to the member by tenant and open_id.
type session struct {
	TenantKey string `json:"tenant_key"`
	OpenID    string `json:"open_id"`
	Name      string `json:"name,omitempty"`
	ExpiresMS int64  `json:"expires_ms"` // on botd's clock; the cache TTL only cleans up
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "websession:" + hex.EncodeToString(sum[:])
}

type sessionCtxKey struct{}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionCtxKey{}).(*session)
	return s
}

// handleSession is POST /app/api/session {"code"}: a code from
// tt.requestAccess becomes a session. A code the platform refuses (bad,
// expired, used) is a 401 with no cookie.
func (h *Handler) handleSession(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSessionBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, `body must be {"code": "..."}`)
		return
	}
	if strings.TrimSpace(req.Code) == "" {
		writeError(w, http.StatusUnauthorized, "no login code")
		return
	}
	user, err := h.open.UserFromCode(r.Context(), req.Code)
	if err != nil {
		if refusedCode(err) {
			h.log.Info("webapp: login code refused", zap.Error(err))
			writeError(w, http.StatusUnauthorized, "login code refused: bad, expired or already used")
			return
		}
		h.log.Warn("webapp: login failed", zap.Error(err))
		writeError(w, http.StatusBadGateway, "cannot reach the platform to log in; try again")
		return
	}
	id, err := newSessionID()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot create a session")
		return
	}
	ttl := h.cfg.SessionTTL
	s := session{TenantKey: user.TenantKey, OpenID: user.OpenID, Name: user.Name, ExpiresMS: h.now().Add(ttl).UnixMilli()}
	ctx := r.Context()
	if h.cfg.StoreApp {
		// The session is its tenant's, and the cookie says which: the
		// lookup must find the tenant before it can read the session.
		if err := tenant.Check(user.TenantKey); err != nil {
			h.log.Warn("webapp: login without a usable tenant_key", zap.Error(err))
			writeError(w, http.StatusBadGateway, "the platform named no tenant for this login; try again")
			return
		}
		ctx = tenant.With(ctx, user.TenantKey)
		id = user.TenantKey + tenantSep + id
	}
	b, _ := json.Marshal(s)
	if err := h.cache.Set(ctx, sessionKey(id), string(b), ttl); err != nil {
		h.log.Error("webapp: cannot store session", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "cannot store the session; try again")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    id,
		Path:     "/app/",
		MaxAge:   int(ttl / time.Second),
		HttpOnly: true,
		Secure:   h.https(r),
		// Lax, not Strict: the API is called same-origin by the page either
		// way, and every POST is Origin-checked; Lax also keeps the session
		// when the client opens the page from a link (applink, a card).
		SameSite: http.SameSiteLaxMode,
	})
	h.log.Info("webapp: member logged in", zap.String("open_id", user.OpenID), zap.String("tenant_key", user.TenantKey))
	writeJSON(w, http.StatusOK, map[string]string{"open_id": user.OpenID, "tenant_key": user.TenantKey, "name": user.Name})
}

// refusedCode: the platform answered and refused the exchange (its 200xx
// codes, a rejected user token), or the code was malformed; anything else
// (no answer, 5xx) is the platform's trouble, not a bad code.
func refusedCode(err error) bool {
	if errors.Is(err, ephemeral.ErrInvalidArgument) {
		return true
	}
	apiErr, ok := errors.AsType[*ephemeral.APIError](err)
	return ok && apiErr.NotApplied() && apiErr.HTTPStatus != http.StatusTooManyRequests
}

// https reports whether the member reached botd over HTTPS: a TLS
// connection, or (only when configured) a trusted proxy's X-Forwarded-Proto.
func (h *Handler) https(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return h.cfg.TrustForwardedProto && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func newSessionID() (string, error) {
	b := make([]byte, sessionIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tenantSep ends the tenant in a store app's session cookie:
// "TENANT.SESSION_ID". Neither a tenant key (tenant.Check) nor a session id
// (base64url) holds it.
const tenantSep = "."

// requireSession admits requests with a live session cookie (401 without)
// and puts the session in the context, with its tenant for a store app.
func (h *Handler) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := h.lookupSession(r)
		if err != nil {
			h.log.Warn("webapp: session lookup failed", zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, "cannot read the session; try again")
			return
		}
		if s == nil {
			writeError(w, http.StatusUnauthorized, "not logged in")
			return
		}
		ctx := context.WithValue(r.Context(), sessionCtxKey{}, s)
		if h.cfg.StoreApp {
			ctx = tenant.With(ctx, s.TenantKey)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// lookupSession returns the request's session, nil when there is none or
// it expired.
func (h *Handler) lookupSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil
	}
	ctx, id, want := r.Context(), c.Value, ""
	if h.cfg.StoreApp {
		// A tenant changed in the cookie finds no session: the session
		// lives under its own tenant's keys.
		t, rest, ok := strings.Cut(c.Value, tenantSep)
		if !ok || tenant.Check(t) != nil {
			return nil, nil
		}
		ctx, id, want = tenant.With(ctx, t), rest, t
	}
	if len(id) != base64.RawURLEncoding.EncodedLen(sessionIDBytes) {
		return nil, nil
	}
	raw, err := h.cache.Get(ctx, sessionKey(c.Value))
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, nil
	}
	var s session
	if json.Unmarshal([]byte(raw), &s) != nil || s.OpenID == "" || s.TenantKey == "" || (want != "" && s.TenantKey != want) {
		return nil, nil
	}
	if h.now().UnixMilli() >= s.ExpiresMS {
		return nil, nil
	}
	return &s, nil
}
