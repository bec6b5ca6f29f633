package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/tenant"
)

// A store app (应用商店应用) gets its tokens in three steps, as the SDK's
// token manager does for a "marketplace" app (oapi-sdk-go v3.11.0
// core/tokenmanager.go, core/appticketmanager.go,
// event/dispatcher/appticket_handler.go):
//
//  1. The platform pushes an app_ticket (the v1 event "app_ticket") to the
//     event URL every hour, and at once when asked with
//     POST /open-apis/auth/v3/app_ticket/resend {app_id, app_secret}.
//     SetAppTicket keeps it in the shared cache, for every replica, for 12
//     hours (the SDK keeps it that long too).
//  2. POST /open-apis/auth/v3/app_access_token {app_id, app_secret,
//     app_ticket} gives the app access token, answered flat:
//     {code, msg, app_access_token, expire}. It is cached like the
//     self-built tenant token, until tokenExpiryMargin before it expires.
//  3. POST /open-apis/auth/v3/tenant_access_token {app_access_token,
//     tenant_key} gives one tenant's token, {code, msg, tenant_access_token,
//     expire}, cached per tenant: the key names the tenant.
//
// Until a ticket is known every call fails with ErrNoAppTicket, which asks
// the job queue to try again later without counting a failure: a ticket
// that arrives late delays work, it does not lose it. When there is no
// ticket the client asks for one (at most every resendInterval). When the
// platform refuses the ticket (code 10012) the SDK itself asks for a resend
// (core/httptransport.go calls applyAppTicket on 10012 in any answer), so
// the client only stops using that ticket until another one arrives.
//
// The SDK's own cache keys are app_ticket-APPID, app_access_token-APPID and
// tenant_access_token:app_secret:APPID:TENANT holding bare tokens. botd keeps
// the SDK's token manager off (client.go) and stores its own values (the
// token with its expiry, cachedToken) under keys of its own, so the two can
// never read each other's.

const (
	opAppToken     = "auth.app_access_token"
	opTicketResend = "auth.app_ticket_resend"

	// appTicketTTL is how long a pushed ticket is kept: what the SDK's
	// app_ticket handler keeps it for. The platform pushes a new one every
	// hour.
	appTicketTTL = 12 * time.Hour

	// resendInterval spaces the resends the client asks for by itself when
	// it has no ticket; the platform answers each with a push.
	resendInterval = 30 * time.Second

	// appTicketRetry is when a call held back for want of a ticket is worth
	// trying again (ErrNoAppTicket's RetryDelay).
	appTicketRetry = 5 * time.Second

	// maxAppTicket bounds a ticket taken from an event: they are short
	// opaque strings.
	maxAppTicket = 1024

	// maxTenantSources bounds the per-tenant token sources kept in memory;
	// beyond it idle ones are dropped (their tokens stay in the cache).
	maxTenantSources = 10000

	// codeAppTicketInvalid is the platform's answer to a stale or wrong
	// app_ticket (the SDK's errCodeAppTicketInvalid, core/constants.go).
	codeAppTicketInvalid = 10012
)

func appTicketKey(appID string) string { return "app_ticket:v1:" + appID }
func appTokenKey(appID string) string  { return "app_access_token:v2:" + appID }

// storeTenantTokenKey is a store app's tenant token for one tenant; a
// self-built app's key (tenantTokenKey) has no tenant and cannot collide.
func storeTenantTokenKey(appID, tenantKey string) string {
	return "tenant_access_token:v2:" + appID + ":" + tenantKey
}

// ErrNoAppTicket is returned (wrapped: test with errors.Is) by every call of
// a store app while it knows no app_ticket the platform accepts. It says
// Retryable, Deferred (the job queue puts the job back without counting an
// attempt) and RetryDelay.
var ErrNoAppTicket error = &appTicketError{msg: "ephemeral: no app_ticket yet (store app): waiting for the platform to push one"}

// appTicketError is ErrNoAppTicket with its reason and cause.
type appTicketError struct {
	msg   string
	cause error
}

func (e *appTicketError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *appTicketError) Unwrap() error             { return e.cause }
func (e *appTicketError) Is(target error) bool      { return target == ErrNoAppTicket }
func (e *appTicketError) Retryable() bool           { return true }
func (e *appTicketError) Deferred() bool            { return true }
func (e *appTicketError) RetryDelay() time.Duration { return appTicketRetry }

func noTicket(msg string, cause error) error {
	return &appTicketError{msg: "ephemeral: " + msg + " (store app): waiting for the platform to push a new one", cause: cause}
}

// errNoTenant is a store app's call without a tenant in its context. It
// wraps tenant.ErrMissing and is permanent: it is a bug in the caller, and
// no retry can supply the tenant.
type errNoTenant struct{}

func (errNoTenant) Error() string   { return tenant.ErrMissing.Error() }
func (errNoTenant) Unwrap() error   { return tenant.ErrMissing }
func (errNoTenant) Retryable() bool { return false }

// tenantOf returns the tenant a store app's call is for.
func tenantOf(ctx context.Context) (string, error) {
	key, ok := tenant.From(ctx)
	if !ok {
		return "", errNoTenant{}
	}
	if err := tenant.Check(key); err != nil {
		return "", invalidf("%v", err)
	}
	return key, nil
}

// tenantTokens is the token source for ctx's call: the self-built app's one,
// or the store app's for ctx's tenant.
func (c *Client) tenantTokens(ctx context.Context) (*tokenSource, error) {
	if c.store == nil {
		return c.tokens, nil
	}
	key, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	return c.store.tenant(key), nil
}

// storeApp is a store app's ticket and tokens.
type storeApp struct {
	c     *Client
	cache TokenCache
	now   func() time.Time
	app   *tokenSource // the app access token

	mu      sync.Mutex
	tenants map[string]*tokenSource
	// bad is the ticket the platform refused: not used again until another
	// arrives (a replica that did not see the refusal finds out itself).
	bad string
	// lastResend is when a resend was last asked for (real time).
	lastResend time.Time
}

func newStoreApp(c *Client, cache TokenCache, now func() time.Time) *storeApp {
	s := &storeApp{c: c, cache: cache, now: now, tenants: map[string]*tokenSource{}}
	s.app = c.newTokenSource("app token", appTokenKey(c.appID), cache, now, s.appToken)
	return s
}

// tenant returns the token source of one tenant, making it on first use.
func (s *storeApp) tenant(key string) *tokenSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts := s.tenants[key]; ts != nil {
		return ts
	}
	if len(s.tenants) >= maxTenantSources {
		for k, ts := range s.tenants {
			if !ts.held() {
				delete(s.tenants, k)
			}
		}
		for k := range s.tenants { // all busy: drop any
			if len(s.tenants) < maxTenantSources {
				break
			}
			delete(s.tenants, k)
		}
	}
	ts := s.c.newTokenSource("tenant token", storeTenantTokenKey(s.c.appID, key), s.cache, s.now,
		func(ctx context.Context) (string, int, string, error) { return s.tenantToken(ctx, key) })
	s.tenants[key] = ts
	return ts
}

// ticket reads the current app_ticket from the shared cache; "" when there
// is none, or only the one the platform refused.
func (s *storeApp) ticket(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.c.timeout)
	defer cancel()
	t, err := s.cache.Get(appCtx(ctx), appTicketKey(s.c.appID))
	if err != nil {
		return "", fmt.Errorf("ephemeral: reading the app_ticket: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t == s.bad {
		return "", nil
	}
	return t, nil
}

// appToken is the obtainFunc of the app access token.
func (s *storeApp) appToken(ctx context.Context) (string, int, string, error) {
	c := s.c
	ticket, err := s.ticket(ctx)
	if err != nil {
		c.log.Warn("app_ticket cache read failed", zap.Error(err))
		return "", 0, "", err
	}
	if ticket == "" {
		s.askResend(ctx)
		return "", 0, "", ErrNoAppTicket
	}
	start := time.Now()
	resp, apiErr := c.attempt(ctx, opAppToken, func(ctx context.Context, _ ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.GetAppAccessTokenByMarketplaceApp(ctx, &larkcore.MarketplaceAppAccessTokenReq{
			AppID:     c.appID,
			AppSecret: c.appSecret,
			AppTicket: ticket,
		})
		if r == nil {
			return nil, err
		}
		return r.ApiResp, err
	})
	if apiErr != nil {
		c.logFailure(apiErr, time.Since(start))
		if apiErr.Code == codeAppTicketInvalid {
			// The SDK has asked for a resend already (see the top of this
			// file); count it so the client does not ask again at once.
			s.mu.Lock()
			s.bad, s.lastResend = ticket, time.Now()
			s.mu.Unlock()
			c.log.Warn("app_ticket refused by the platform; waiting for a new one", zap.String("log_id", apiErr.LogID))
			return "", 0, "", noTicket("the platform refused the app_ticket", apiErr)
		}
		return "", 0, "", apiErr
	}
	var out struct {
		Token  string `json:"app_access_token"`
		Expire int    `json:"expire"`
	}
	if err := json.Unmarshal(resp.RawBody, &out); err != nil || out.Token == "" {
		e := &APIError{Op: opAppToken, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no app_access_token in response"}
		c.logFailure(e, time.Since(start))
		return "", 0, "", e
	}
	return out.Token, out.Expire, resp.LogId(), nil
}

// tenantToken is the obtainFunc of one tenant's token. An app token the
// platform rejects is dropped and replaced once, as call does for tenant
// tokens.
func (s *storeApp) tenantToken(ctx context.Context, key string) (string, int, string, error) {
	c := s.c
	for attempt := 1; ; attempt++ {
		appTok, err := s.app.token(ctx)
		if err != nil {
			return "", 0, "", err // logged where it happened
		}
		start := time.Now()
		resp, apiErr := c.attempt(ctx, opToken, func(ctx context.Context, _ ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
			r, err := c.sdk.GetTenantAccessTokenByMarketplaceApp(ctx, &larkcore.MarketplaceTenantAccessTokenReq{
				AppAccessToken: appTok,
				TenantKey:      key,
			})
			if r == nil {
				return nil, err
			}
			return r.ApiResp, err
		})
		if apiErr != nil {
			if attempt == 1 && apiErr.Code == codeAppTokenInvalid {
				c.log.Warn("app token rejected, retrying with a fresh one", zap.String("log_id", apiErr.LogID))
				s.app.invalidate(ctx, appTok)
				continue
			}
			c.logFailure(apiErr, time.Since(start))
			return "", 0, "", apiErr
		}
		var tr tokenResponse
		if err := json.Unmarshal(resp.RawBody, &tr); err != nil || tr.Token == "" {
			e := &APIError{Op: opToken, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no token in response"}
			c.logFailure(e, time.Since(start))
			return "", 0, "", e
		}
		return tr.Token, tr.Expire, resp.LogId(), nil
	}
}

// ready: see Client.Ready.
func (s *storeApp) ready(ctx context.Context) error {
	if s.app.held() {
		return nil
	}
	t, err := s.ticket(ctx)
	if err != nil {
		return err
	}
	if t == "" {
		return nil // waiting for the platform's push, which needs botd routable
	}
	if err := s.app.ready(ctx); err != nil && !errors.Is(err, ErrNoAppTicket) {
		return err
	}
	return nil
}

// askResend asks the platform to push a ticket, unless that was asked less
// than resendInterval ago. A failure is logged: the caller's answer is
// ErrNoAppTicket either way, and the hourly push comes regardless.
func (s *storeApp) askResend(ctx context.Context) {
	s.mu.Lock()
	if !s.lastResend.IsZero() && time.Since(s.lastResend) < resendInterval {
		s.mu.Unlock()
		return
	}
	s.lastResend = time.Now()
	s.mu.Unlock()
	if err := s.c.resend(ctx); err != nil {
		s.c.log.Warn("app_ticket resend failed", zap.Error(err))
	}
}

// SetAppTicket keeps the app_ticket the platform pushed (the v1 event
// "app_ticket") in the shared cache, where every replica finds it. The
// webhook calls it for each push; an error means the ticket was not kept
// (the event should be answered as failed, so that the platform sends it
// again). A self-built app has no tickets: calling it then is an error.
func (c *Client) SetAppTicket(ctx context.Context, ticket string) error {
	if c.store == nil {
		return fmt.Errorf("ephemeral: an app_ticket for a self-built app: %w", ErrInvalidArgument)
	}
	if ticket == "" || len(ticket) > maxAppTicket || strings.ContainsFunc(ticket, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return invalidf("malformed app_ticket (%d bytes)", len(ticket))
	}
	s := c.store
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := s.cache.Set(appCtx(ctx), appTicketKey(c.appID), ticket, appTicketTTL); err != nil {
		return fmt.Errorf("ephemeral: keeping the app_ticket: %w", err)
	}
	s.mu.Lock()
	if s.bad == ticket {
		s.bad = "" // the platform vouches for it again
	}
	s.mu.Unlock()
	c.log.Info("app_ticket received and kept")
	return nil
}

// ResendAppTicket asks the platform to push an app_ticket now
// (POST /open-apis/auth/v3/app_ticket/resend). A store app calls it when it
// starts: the ticket then arrives as an event within moments instead of
// within the hour. The client also asks by itself when it needs a ticket
// and has none (at most every 30 s).
func (c *Client) ResendAppTicket(ctx context.Context) error {
	if c.store == nil {
		return fmt.Errorf("ephemeral: app_ticket resend for a self-built app: %w", ErrInvalidArgument)
	}
	c.store.mu.Lock()
	c.store.lastResend = time.Now()
	c.store.mu.Unlock()
	return c.resend(ctx)
}

func (c *Client) resend(ctx context.Context) error {
	start := time.Now()
	_, apiErr := c.attempt(ctx, opTicketResend, func(ctx context.Context, _ ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.ResendAppTicket(ctx, &larkcore.ResendAppTicketReq{AppID: c.appID, AppSecret: c.appSecret})
		if r == nil {
			return nil, err
		}
		return r.ApiResp, err
	})
	if apiErr != nil {
		c.logFailure(apiErr, time.Since(start))
		return apiErr
	}
	c.log.Info("app_ticket resend requested")
	return nil
}

// ForgetTenant drops what the client keeps for one tenant of a store app:
// its token, in memory and in the shared cache, and its bot id. Call it when
// the tenant removed the app (the removal hook); a later call for the
// tenant starts afresh. For a self-built app it does nothing.
func (c *Client) ForgetTenant(ctx context.Context, tenantKey string) error {
	if c.store == nil {
		return nil
	}
	if err := tenant.Check(tenantKey); err != nil {
		return invalidf("%v", err)
	}
	s := c.store
	s.mu.Lock()
	delete(s.tenants, tenantKey)
	s.mu.Unlock()
	c.botMu.Lock()
	delete(c.botByTen, tenantKey)
	c.botMu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	key := storeTenantTokenKey(c.appID, tenantKey)
	var err error
	if d, ok := s.cache.(keyDeleter); ok {
		err = d.Delete(appCtx(ctx), key)
	} else {
		err = s.cache.Set(appCtx(ctx), key, "", dropTTL)
	}
	if err != nil {
		return fmt.Errorf("ephemeral: forgetting tenant %s: %w", tenantKey, err)
	}
	return nil
}
