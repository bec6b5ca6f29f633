// Package webapp serves botd's web app: an H5 page opened inside the
// Feishu/Lark client (docs/feishu-platform.md §13) and its API under
// /app/api/. It signs the page for h5sdk.config with a jsapi_ticket shared
// by every replica, logs members in with a tt.requestAccess code (no
// password), lists a member's todos and reminders across chats, presses
// their group cards' buttons for the member (through the flow engine, so
// the flows' rules and effects apply) and hands the page the JSON 1.0
// card it shares with tt.sendMessageCard.
//
// Every POST under /app/api/ refuses another site's Origin (403); all but
// /app/api/session need the session cookie (401 without).
package webapp

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
)

//go:embed static
var staticFiles embed.FS

// OpenAPI is what the web app asks of the platform (ephemeral.Client).
type OpenAPI interface {
	JSAPITicket(ctx context.Context) (*ephemeral.JSAPITicket, error)
	UserFromCode(ctx context.Context, code string) (*ephemeral.WebUser, error)
}

// Cache is a string cache shared by replicas (state.Cache): the ticket and
// the sessions live in it. Get returns "" and no error for a missing key.
type Cache interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
}

// Records reads the flows' records (state.Store).
type Records interface {
	Record(ctx context.Context, kind, id string) (flows.StoredRecord, error)
	ListRecords(ctx context.Context, kind, index string, offset, limit int) ([]flows.StoredRecord, int, error)
}

// Engine is the flow engine (flows.Engine): the web app presses a record's
// group-card buttons through it, so the flow's own rules and effects
// apply, renders and records the copies members share, and asks it who
// is an admin or a member of a chat.
type Engine interface {
	PressWeb(ctx context.Context, flowName, id, action, operatorID string) (flows.Answer, error)
	ShareCard(ctx context.Context, flowName, id, lang string) (*card.V1, error)
	RecordShares(ctx context.Context, flowName, id string, shares []flows.Share) (int, error)
	IsAdmin(ctx context.Context, chatID, openID string) bool
	IsMember(ctx context.Context, chatID, openID string) (bool, error)
}

// Chats looks chats up, through the engine's cache (flows.ChatInfoSource):
// the web app shows their names.
type Chats interface {
	ChatInfo(ctx context.Context, chatID string) (*flows.ChatInfo, error)
}

// Deps are what the web app reads and calls. Open, Cache and Records are
// required. Without Engine the item actions, share and shares routes
// answer 503 and items offer no actions; without Chats items have no
// chat_name.
type Deps struct {
	Open    OpenAPI
	Cache   Cache
	Records Records
	Engine  Engine
	Chats   Chats
}

// DefaultSessionTTL is how long a login lasts when Config.SessionTTL is zero.
const DefaultSessionTTL = 12 * time.Hour

// Config configures the web app.
type Config struct {
	AppID string // for h5sdk.config; required
	// SessionTTL is how long a session lasts after login. Zero: DefaultSessionTTL.
	SessionTTL time.Duration
	// TrustForwardedProto: botd is behind a proxy that terminates TLS and
	// sets X-Forwarded-Proto (overwriting any a client sent). Then "https"
	// there marks the session cookie Secure; otherwise only a TLS
	// connection to botd itself does.
	TrustForwardedProto bool
	// PageHosts are hosts (host[:port]) besides the request's own whose
	// pages may be signed and whose Origin is accepted: the public host when
	// a proxy rewrites Host.
	PageHosts []string
	// DefaultLocale is the language of toasts when the request names none
	// (flows.LocaleEnUS or flows.LocaleZhCN). Default: en_us.
	DefaultLocale string
	// StoreApp: botd serves many tenants (BOTD_APP_TYPE=store). A session
	// then names its tenant in its cookie and lives under that tenant's
	// keys, every request of a session runs in its tenant's context
	// (tenant.With), and the page is signed with its tenant's jsapi_ticket,
	// so only once the member has logged in (session.go).
	StoreApp bool
	Now      func() time.Time // botd's clock; default time.Now
}

// Handler serves /app/ and /app/api/.
type Handler struct {
	cfg     Config
	open    OpenAPI
	cache   Cache
	records Records
	engine  Engine // nil: no actions, no shares
	chats   Chats  // nil: no chat names
	log     *zap.Logger
	now     func() time.Time
	tickets *ticketSource
	static  http.Handler
}

// New builds the web app's handler.
func New(cfg Config, deps Deps, log *zap.Logger) *Handler {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.DefaultLocale != flows.LocaleZhCN {
		cfg.DefaultLocale = flows.LocaleEnUS
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("webapp: embedded static files: " + err.Error()) // a build defect, not a runtime condition
	}
	h := &Handler{cfg: cfg, open: deps.Open, cache: deps.Cache, records: deps.Records, engine: deps.Engine, chats: deps.Chats,
		log: log, now: cfg.Now, static: http.StripPrefix("/app/", http.FileServerFS(sub))}
	h.tickets = &ticketSource{open: deps.Open, cache: deps.Cache, key: ticketKey(cfg.AppID), now: cfg.Now, log: log}
	return h
}

// Routes mounts the web app on r.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/app", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app/", http.StatusMovedPermanently)
	})
	r.Route("/app/api", func(r chi.Router) {
		r.Use(apiHeaders, h.checkOrigin)
		r.Get("/jssdk", h.handleJSSDK)
		r.Post("/session", h.handleSession)
		r.Group(func(r chi.Router) {
			r.Use(h.requireSession)
			r.Get("/me", h.handleMe)
			r.Get("/items", h.handleItems)
			r.Get("/items/{id}", h.handleItem)
			r.Post("/items/{id}/actions", h.handleAction)
			r.Post("/items/{id}/share", h.handleShare)
			r.Post("/items/{id}/shares", h.handleShares)
		})
		r.NotFound(func(w http.ResponseWriter, _ *http.Request) { writeError(w, http.StatusNotFound, "not found") })
		r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		})
	})
	r.Get("/app/*", h.serveStatic)
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	h.static.ServeHTTP(w, r)
}

// apiHeaders: API answers are per member and never cached.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
