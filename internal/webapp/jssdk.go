package webapp

import (
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // the JSSDK signature is SHA-1 by the platform's definition
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/tenant"
)

// Sign is the JSSDK signature (feishu-platform.md §13.1): the lowercase hex
// SHA-1 of "jsapi_ticket=T&noncestr=N&timestamp=TS&url=URL", fields in that
// order, URL without its fragment.
func Sign(ticket, nonce string, timestampMS int64, pageURL string) string {
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonce +
		"&timestamp=" + strconv.FormatInt(timestampMS, 10) + "&url=" + pageURL))
	return hex.EncodeToString(sum[:])
}

const (
	maxPageURL = 2048
	nonceLen   = 32
	// ticketMargin is taken off the ticket's expire_in, so that no page is
	// signed with a ticket in its last minutes (a page stays open a while).
	ticketMargin = 10 * time.Minute
)

// jssdkConfig is the answer for h5sdk.config.
type jssdkConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"` // ms, as the official sample
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// handleJSSDK is GET /app/api/jssdk?url=URL.
func (h *Handler) handleJSSDK(w http.ResponseWriter, r *http.Request) {
	pageURL, err := h.pageURL(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	if h.cfg.StoreApp {
		// A store app's ticket is a tenant's (it is had with the tenant's
		// token), and the tenant is known once the member has logged in:
		// the page logs in first (it needs no signature for that), then
		// asks again.
		s, err := h.lookupSession(r)
		if err != nil {
			h.log.Warn("webapp: session lookup failed", zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, "cannot read the session; try again")
			return
		}
		if s == nil {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "log in first", "appId": h.cfg.AppID})
			return
		}
		ctx = tenant.With(ctx, s.TenantKey)
	}
	ticket, err := h.tickets.get(ctx)
	if err != nil {
		h.log.Warn("webapp: no jsapi ticket", zap.Error(err))
		writeError(w, http.StatusBadGateway, "cannot get a jsapi_ticket from the platform")
		return
	}
	nonce := randomNonce()
	ts := h.now().UnixMilli()
	writeJSON(w, http.StatusOK, jssdkConfig{
		AppID: h.cfg.AppID, Timestamp: ts, NonceStr: nonce, Signature: Sign(ticket, nonce, ts, pageURL),
	})
}

// pageURL reads and checks the url parameter: an absolute http(s) URL of a
// page on this site (the request's host or Config.PageHosts), so that the
// endpoint signs no other site's pages with botd's ticket. The fragment,
// if any, is dropped, as the client does before it checks the signature.
func (h *Handler) pageURL(r *http.Request) (string, error) {
	raw := r.URL.Query().Get("url")
	if raw == "" {
		return "", errors.New("url is required")
	}
	if len(raw) > maxPageURL {
		return "", errors.New("url too long")
	}
	raw, _, _ = strings.Cut(raw, "#")
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", errors.New("url is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("url must be http or https")
	case u.Host == "" || u.User != nil:
		return "", errors.New("url must have a host and no user info")
	case strings.ContainsAny(raw, " \t\r\n"):
		return "", errors.New("url must not contain spaces")
	case !h.ownHost(r, u.Host):
		return "", errors.New("url is not a page of this web app")
	}
	return raw, nil
}

// ownHost reports whether host (host[:port]) is this site's.
func (h *Handler) ownHost(r *http.Request, host string) bool {
	if strings.EqualFold(host, r.Host) {
		return true
	}
	for _, ph := range h.cfg.PageHosts {
		if strings.EqualFold(host, ph) {
			return true
		}
	}
	return false
}

func randomNonce() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, nonceLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 62 bias is irrelevant for a nonce
	}
	return string(b)
}

// ticketSource keeps the jsapi_ticket in the shared cache, so that every
// replica signs with the one ticket and the platform is asked for it only
// when it is close to expiry, never per page view.
type ticketSource struct {
	open  OpenAPI
	cache Cache
	key   string
	now   func() time.Time
	log   *zap.Logger
	mu    sync.Mutex // one fetch at a time per replica
}

func ticketKey(appID string) string { return "jsapi_ticket:v1:" + appID }

// cachedTicket carries its expiry on botd's clock (which the playground
// moves), as the tenant token does; the cache TTL only cleans up.
type cachedTicket struct {
	Ticket    string `json:"ticket"`
	ExpiresMS int64  `json:"expires_ms"`
}

func (s *ticketSource) cached(ctx context.Context) string {
	raw, err := s.cache.Get(ctx, s.key)
	if err != nil {
		s.log.Warn("webapp: ticket cache read failed", zap.Error(err))
		return ""
	}
	var c cachedTicket
	if raw == "" || json.Unmarshal([]byte(raw), &c) != nil || c.Ticket == "" || s.now().UnixMilli() >= c.ExpiresMS {
		return ""
	}
	return c.Ticket
}

func (s *ticketSource) get(ctx context.Context) (string, error) {
	if t := s.cached(ctx); t != "" {
		return t, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.cached(ctx); t != "" { // another request fetched it meanwhile
		return t, nil
	}
	tk, err := s.open.JSAPITicket(ctx)
	if err != nil {
		return "", fmt.Errorf("webapp: fetch jsapi ticket: %w", err)
	}
	life := tk.ExpireIn - ticketMargin
	if life < tk.ExpireIn/2 {
		life = tk.ExpireIn / 2
	}
	b, _ := json.Marshal(cachedTicket{Ticket: tk.Ticket, ExpiresMS: s.now().Add(life).UnixMilli()})
	if life >= time.Second {
		if err := s.cache.Set(ctx, s.key, string(b), life); err != nil {
			// Still usable for this page; the next one fetches again.
			s.log.Warn("webapp: ticket cache write failed", zap.Error(err))
		}
	}
	return tk.Ticket, nil
}
