package feishusim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Tenants. The platform hosts many tenants (organisations); a store app is
// installed in several at once and a self-built app lives in one. Chats,
// users, messages and ephemeral cards belong to one tenant, and the same
// chat id or open_id may exist in two tenants as different things: every
// lookup is by (tenant, id). A tenant_access_token is bound to the tenant it
// was issued for, so a call with tenant A's token never sees tenant B's
// chats: it gets the same refusal as for a chat that does not exist.
//
// The default tenant (Options.TenantKey) is where every method without a
// tenant acts (AddChat, AddUser, Chat, AddMember, …) and the one a
// self-built app's token (tenant_access_token/internal) is for. Tenant(key)
// is the same API for any tenant.

// tenantState is one tenant; s.mu guards it.
type tenantState struct {
	key       string
	installed bool
	botOpenID string
	chats     map[string]*Chat
	users     map[string]*User // by open_id
}

// tenantLocked returns the tenant key, creating it (installed) when new.
// Callers hold s.mu.
func (s *Server) tenantLocked(key string) *tenantState {
	if key == "" {
		key = s.opts.TenantKey
	}
	t := s.tenants[key]
	if t == nil {
		t = &tenantState{key: key, installed: true, botOpenID: s.botOpenIDFor(key),
			chats: map[string]*Chat{}, users: map[string]*User{}}
		s.tenants[key] = t
	}
	return t
}

// botOpenIDFor is the bot's open_id in a tenant: Options.BotOpenID in the
// default tenant, a different one derived from the key elsewhere. Whether a
// store app's bot has one open_id across tenants is not documented; distinct
// ids catch a client that assumes it.
func (s *Server) botOpenIDFor(key string) string {
	if key == s.opts.TenantKey {
		return s.opts.BotOpenID
	}
	sum := sha256.Sum256([]byte("bot/" + key))
	return "ou_bot" + hex.EncodeToString(sum[:])[:28]
}

// Tenant is the simulator's API for one tenant: the single-tenant methods of
// Server act on the default tenant through one of these.
type Tenant struct {
	s   *Server
	key string
}

// Tenant returns the tenant key, adding it (installed: the app can get its
// tokens) when it is new. Keys are the platform's tenant_key values, e.g.
// "2ca1d211f64f6438".
func (s *Server) Tenant(key string) *Tenant {
	s.mu.Lock()
	t := s.tenantLocked(key)
	s.mu.Unlock()
	return &Tenant{s: s, key: t.key}
}

func (s *Server) defaultTenant() *Tenant { return &Tenant{s: s, key: s.opts.TenantKey} }

// Key is the tenant's tenant_key.
func (t *Tenant) Key() string { return t.key }

// BotOpenID is the bot's open_id as this tenant sees it (bot/v3/info).
func (t *Tenant) BotOpenID() string {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return t.s.tenantLocked(t.key).botOpenID
}

// Installed reports whether the app is installed in the tenant.
func (t *Tenant) Installed() bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return t.s.tenantLocked(t.key).installed
}

// Tenants lists the tenants the simulator knows, installed or not.
func (s *Server) Tenants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tenants))
	for k := range s.tenants {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// UninstallTenant removes the app from a tenant, as its administrator
// would: the tenant's tokens stop working, no new ones are issued for it,
// and the platform pushes the v1 event app_uninstalled (SDK
// OnP1AppUninstalledV6; feishu docs application-v6/event/app-uninstalled)
// to the app's event URL when SetPlatform named one. Its chats and users
// stay, for a later InstallTenant. It returns the bot's answer to the push
// (zero when there was none).
func (s *Server) UninstallTenant(ctx context.Context, key string) (Result, error) {
	s.mu.Lock()
	t := s.tenantLocked(key)
	t.installed = false
	for tok, it := range s.tokens {
		if it.tenant == t.key {
			delete(s.tokens, tok)
		}
	}
	delete(s.current, t.key)
	p := s.platform
	s.mu.Unlock()
	if p == nil || s.opts.AppType != AppTypeStore {
		return Result{}, nil
	}
	return p.SendAppUninstalled(ctx, t.key)
}

// InstallTenant (re)installs the app in a tenant and pushes the v1 event
// app_open (SDK OnP1AppOpenV6; docs application-v6/event/app-first-enabled)
// when SetPlatform named an event URL and the app is a store app.
func (s *Server) InstallTenant(ctx context.Context, key string) (Result, error) {
	s.mu.Lock()
	t := s.tenantLocked(key)
	t.installed = true
	p := s.platform
	s.mu.Unlock()
	if p == nil || s.opts.AppType != AppTypeStore {
		return Result{}, nil
	}
	return p.SendAppOpen(ctx, t.key)
}

// tenantCtxKey carries the tenant a request's token was issued for.
type tenantCtxKey struct{}

// reqTenant is the tenant of the token the request carried (requireToken
// put it there); the default tenant for routes without a token.
func (s *Server) reqTenant(ctx context.Context) string {
	if k, ok := ctx.Value(tenantCtxKey{}).(string); ok && k != "" {
		return k
	}
	return s.opts.TenantKey
}

func copyEphemeral(e *Ephemeral) Ephemeral {
	cp := *e
	cp.Card = slices.Clone(e.Card)
	return cp
}

// Ephemerals returns copies of the tenant's ephemeral cards, in sending
// order.
func (t *Tenant) Ephemerals() []Ephemeral {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	var out []Ephemeral
	for _, e := range t.s.ephemerals {
		if e.Tenant == t.key {
			out = append(out, copyEphemeral(e))
		}
	}
	return out
}

// Messages returns copies of the tenant's messages, in posting order.
func (t *Tenant) Messages() []Message {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	var out []Message
	for _, m := range t.s.messages {
		if m.Tenant == t.key {
			cp := *m
			cp.History = slices.Clone(m.History)
			out = append(out, cp)
		}
	}
	return out
}
