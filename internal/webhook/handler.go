package webhook

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
)

// Defaults for Config.
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB: the contract's limit
	// DefaultTimestampWindow is wider than the platform's retry span
	// (15 s, 5 min, 1 h, 6 h: more than 7 h) in case redeliveries keep the
	// original timestamp (unconfirmed), and less than half DefaultClaimTTL
	// so that a replay accepted by the window always finds its claim (see
	// New).
	DefaultTimestampWindow = 8 * time.Hour
	DefaultClaimTTL        = 24 * time.Hour
	// DefaultClaimLease is how long a claim lives while its delivery is being
	// handled. Only once handling succeeded is it kept for ClaimTTL, so a
	// process killed mid-request leaves a claim that lapses before the
	// platform's first retry (about 15 s later) instead of one that turns
	// the retry into a "duplicate" and loses the event.
	DefaultClaimLease = 10 * time.Second
)

// Config is what the handler needs to know about the app.
type Config struct {
	AppID             string // when set, header.app_id must equal it
	VerificationToken string // required: checked on every request
	EncryptKey        string // empty: no encryption, no signature (token only)

	// PreviousEncryptKey and PreviousVerificationToken are accepted besides
	// the current ones while a change made in the console reaches every
	// sender (rotation.go); empty: no rotation. Each needs its current one
	// and must differ from it. The current one is always tried first, and
	// botd_webhook_secret_used_total says which one each request used.
	PreviousEncryptKey        string
	PreviousVerificationToken string

	// LegacyCardCallbacks accepts the older "card request URL" format on
	// /webhook/card (feishu-platform.md §9.7). That format is signed with
	// the Verification Token alone, whatever the Encrypt Key, so with it on
	// whoever holds the token can forge a click by any user. Off, such a
	// request (and the plaintext handshake of that URL) is refused with 401.
	LegacyCardCallbacks bool

	// LongConnection says deliveries come over the platform's long
	// connection (Deliver), not to the HTTP routes: no Verification Token
	// is needed then, and Routes must not be used.
	LongConnection bool

	// StoreApp, and the hooks below, are for a store app serving many
	// tenants (tenant.go): every event and callback handed over carries
	// its tenant_key in its context, and the platform's app events go to
	// the hooks. OnAppTicket and OnTenantRemoved are required with it.
	StoreApp          bool
	OnAppTicket       func(ctx context.Context, appTicket string) error
	OnTenantRemoved   func(ctx context.Context, tenantKey string) error
	OnTenantInstalled func(ctx context.Context, tenantKey string) error // optional

	MaxBodyBytes    int64         // 0: DefaultMaxBodyBytes
	TimestampWindow time.Duration // 0: DefaultTimestampWindow
	ClaimTTL        time.Duration // 0: DefaultClaimTTL; must exceed 2×TimestampWindow
	ClaimLease      time.Duration // 0: DefaultClaimLease

	// Now is the clock for the timestamp window; nil means time.Now.
	Now func() time.Time
}

// Flows receives what the webhook accepted. *flows.Engine implements it.
// Both calls run inside the HTTP request, which the platform abandons after
// 3 seconds: they must only record and enqueue work, not do it.
type Flows interface {
	HandleMessage(ctx context.Context, m flows.Message) error
	HandleAction(ctx context.Context, a flows.Action) (flows.Answer, error)
}

// MessageFilter is an optional part of Flows: Acts reports whether
// HandleMessage would do anything for m. A message the flows do not act on
// (plain chatter, which is most of what a bot with the all-messages scope
// receives) is answered 200 without a claim: nothing happens for it, so
// nothing can happen twice, and it costs no Redis round trip. Acts must be
// cheap and read nothing but m. *flows.Engine implements it; without it,
// every message is claimed and handed over.
type MessageFilter interface {
	Acts(m flows.Message) bool
}

// Claims is the de-duplication store (the Redis state store implements it).
type Claims interface {
	// Claim takes every key for ttl, or none: it returns the first key that
	// was already taken ("" when all were free and are now taken), and
	// whether its delivery was handled (Keep) rather than still in hand or
	// abandoned by a process that died. One round trip: it sits on every
	// request's path.
	Claim(ctx context.Context, ttl time.Duration, keys ...string) (taken string, handled bool, err error)
	// Keep marks the keys handled and sets their time to live to ttl.
	Keep(ctx context.Context, ttl time.Duration, keys ...string) error
	// Release frees keys taken by Claim.
	Release(ctx context.Context, keys ...string) error
}

// Handler serves the webhook routes. Create it with New.
type Handler struct {
	cfg     Config
	flows   Flows
	filter  MessageFilter // nil: every message is claimed and handed over
	block   cipher.Block  // of cfg.EncryptKey; nil without one
	secrets *secrets      // precomputed forms of the current and previous secrets
	claims  Claims
	log     *zap.Logger
	metrics *metrics
}

// New checks cfg, fills in its defaults and builds a Handler. Metrics are
// registered on reg unless it is nil; log may be nil.
func New(cfg Config, f Flows, c Claims, log *zap.Logger, reg prometheus.Registerer) (*Handler, error) {
	if cfg.VerificationToken == "" && !cfg.LongConnection {
		// Without a token there would be nothing to check when no Encrypt
		// Key is set, and the legacy card signature would be forgeable.
		return nil, errors.New("webhook: a verification token is required")
	}
	if cfg.LongConnection && cfg.LegacyCardCallbacks {
		return nil, errors.New("webhook: the long connection does not carry the legacy card format")
	}
	if f == nil || c == nil {
		return nil, errors.New("webhook: flows and claims are required")
	}
	if err := checkStore(cfg); err != nil {
		return nil, err
	}
	if err := checkRotation(cfg); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.TimestampWindow <= 0 {
		cfg.TimestampWindow = DefaultTimestampWindow
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = DefaultClaimTTL
	}
	if cfg.ClaimLease <= 0 {
		cfg.ClaimLease = DefaultClaimLease
	}
	if cfg.ClaimTTL <= 2*cfg.TimestampWindow {
		// A signed request with timestamp t is accepted while botd's clock
		// reads t±window: a span of 2×window. Its first delivery may come at
		// the very start of that span (t-window: the platform's clock ahead
		// of ours), and its claim then lives until t-window+ClaimTTL. A
		// claim that expires while its request is still accepted would let
		// the same signed request be replayed, hence ClaimTTL > 2×window.
		// The defaults leave 8 h on top for clocks that disagree.
		return nil, fmt.Errorf("webhook: claim TTL %v must exceed twice the timestamp window %v", cfg.ClaimTTL, cfg.TimestampWindow)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	h := &Handler{cfg: cfg, flows: f, claims: c, log: log, metrics: m}
	h.filter, _ = f.(MessageFilter)
	if cfg.EncryptKey != "" {
		h.block = bodyCipher(cfg.EncryptKey)
	}
	h.secrets = newSecrets(cfg)
	return h, nil
}
