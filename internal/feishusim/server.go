package feishusim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"
)

// Options configure a Server. Zero values get usable defaults.
type Options struct {
	AppID     string // default "cli_sim0000000000000"
	AppSecret string // default "sim-secret"
	AppName   string // bot name in /bot/v3/info; default "botd-sim"
	BotOpenID string // the bot's open_id in the default tenant; default "ou_bot0000000000000000000000000000"
	TenantKey string // the default tenant (see Tenant); default "sim_tenant"
	// AppType is AppTypeSelfBuilt (the default when empty) or AppTypeStore:
	// which token endpoints the app may use (auth.go, store.go).
	AppType string
	// AppTicketDelay is how long after a store app asks for an app_ticket
	// (POST /open-apis/auth/v3/app_ticket/resend) the simulator pushes it to
	// the Platform set with SetPlatform. Negative: never by itself; only
	// PushAppTicket pushes, so a test decides when the ticket arrives.
	AppTicketDelay time.Duration
	// Clock is the simulator's time: token expiry, uuid windows, the 14-day
	// PATCH window and rate-limit windows all read it. Default time.Now.
	Clock func() time.Time
	// EnforceRateLimits turns on the documented quotas (see ratelimit.go).
	EnforceRateLimits bool
	Logger            *zap.Logger // default zap.NewNop()
	// LongConn shapes the long connection (POST /callback/ws/endpoint and
	// its WebSocket; see longconn.go).
	LongConn LongConnOptions
}

// Server simulates the Open API. It is an http.Handler; mount it at the root
// of an httptest.Server and point the client's base URL at it. All methods
// are safe for concurrent use.
type Server struct {
	opts   Options
	now    func() time.Time
	log    *zap.Logger
	router chi.Router
	limits *limiter
	rec    *recorder
	// longConn is the platform's side of the long connection.
	longConn *LongConn
	fault    atomic.Pointer[func(*http.Request) *Fault]

	mu         sync.Mutex              // guards everything below
	tokens     map[string]issuedToken  // tenant_access_tokens, each bound to its tenant
	current    map[string]string       // per tenant: the token handed out until < 30 min remain
	tenants    map[string]*tenantState // by tenant_key (tenants.go)
	store      *storeState             // a store app's ticket and app tokens (store.go)
	platform   *Platform               // where pushes go (SetPlatform); nil: nowhere
	ephemerals []*Ephemeral
	ephByID    map[string]*Ephemeral
	messages   []*Message
	msgByID    map[string]*Message
	uuids      map[string]uuidEntry

	web    *webState    // the web app's tickets, codes and user tokens (webapp.go)
	client *clientCards // cards users sent through the client (sendcard.go)
}

// New returns a simulator with no chats and no users; add them with AddChat
// and AddUser.
func New(opts Options) *Server {
	if opts.AppID == "" {
		opts.AppID = "cli_sim0000000000000"
	}
	if opts.AppSecret == "" {
		opts.AppSecret = "sim-secret"
	}
	if opts.AppName == "" {
		opts.AppName = "botd-sim"
	}
	if opts.BotOpenID == "" {
		opts.BotOpenID = "ou_bot0000000000000000000000000000"
	}
	if opts.TenantKey == "" {
		opts.TenantKey = "sim_tenant"
	}
	switch opts.AppType {
	case "":
		opts.AppType = AppTypeSelfBuilt
	case AppTypeSelfBuilt, AppTypeStore:
	default:
		panic("feishusim: unknown AppType " + opts.AppType)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	s := &Server{
		opts:    opts,
		now:     opts.Clock,
		log:     opts.Logger,
		limits:  newLimiter(),
		rec:     newRecorder(),
		tokens:  map[string]issuedToken{},
		current: map[string]string{},
		tenants: map[string]*tenantState{},
		store:   newStoreState(opts.AppTicketDelay),
		web:     newWebState(),
		client:  newClientCards(),
	}
	s.tenantLocked(opts.TenantKey)
	s.resetWorld()
	s.longConn = newLongConn(s, opts.LongConn)
	s.opts.LongConn = s.longConn.opts
	s.router = s.routes()
	return s
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == longConnPath {
		// The WebSocket is hijacked from the server: the recorder, which
		// wraps the ResponseWriter, cannot stand in front of it.
		s.longConn.handleConnect(w, r)
		return
	}
	s.router.ServeHTTP(w, r)
}

// routes is the simulated API surface. Every route is recorded; all but the
// token route need a tenant token.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.record, s.injectFault)
	r.NotFound(s.adapt(func(*http.Request, []byte) (any, *apiError) {
		return nil, &apiError{Status: http.StatusNotFound, Code: http.StatusNotFound, Msg: "404 page not found"}
	}))
	r.MethodNotAllowed(s.adapt(func(*http.Request, []byte) (any, *apiError) {
		return nil, &apiError{Status: http.StatusMethodNotAllowed, Code: http.StatusMethodNotAllowed, Msg: "method not allowed"}
	}))
	// The long connection's bootstrap: not an Open API call (no token, its
	// own answer format), but recorded like one.
	r.Post(EndpointPath, s.longConn.handleEndpoint)
	r.Route("/open-apis", func(r chi.Router) {
		r.With(s.requireJSON).Post("/auth/v3/tenant_access_token/internal", s.adapt(s.handleTenantToken))
		// A store app's tokens (store.go).
		r.With(s.requireJSON).Post("/auth/v3/app_access_token", s.adapt(s.handleAppAccessToken))
		r.With(s.requireJSON).Post("/auth/v3/tenant_access_token", s.adapt(s.handleStoreTenantToken))
		r.With(s.requireJSON).Post("/auth/v3/app_ticket/resend", s.adapt(s.handleTicketResend))
		// The web app's login: the code exchange needs no token (it carries
		// the app's credentials), user_info takes the user's token.
		r.With(s.requireJSON).Post("/authen/v2/oauth/token", s.adapt(s.handleOAuthToken))
		r.Get("/authen/v1/user_info", s.adapt(s.handleUserInfo))
		r.Group(func(r chi.Router) {
			r.Use(s.requireToken, s.requireJSON)
			r.Post("/ephemeral/v1/send", s.adapt(s.handleEphemeralSend))
			r.Post("/ephemeral/v1/delete", s.adapt(s.handleEphemeralDelete))
			r.Post("/im/v1/messages", s.adapt(s.handleMessageCreate))
			r.With(s.guardClientCardPatch).Patch("/im/v1/messages/{message_id}", s.adapt(s.handleMessagePatch))
			r.Get("/im/v1/chats/{chat_id}", s.adapt(s.handleChatGet))
			r.Get("/im/v1/chats/{chat_id}/members", s.adapt(s.handleChatMembers))
			r.Get("/im/v1/chats/{chat_id}/members/is_in_chat", s.adapt(s.handleIsInChat))
			r.Get("/bot/v3/info", s.adapt(s.handleBotInfo))
			r.Post("/jssdk/ticket/get", s.adapt(s.handleJSAPITicket))
		})
	})
	return r
}

// handlerFunc is a simulated endpoint: it gets the request and its body
// (already read by the recorder) and returns either the whole JSON answer
// (sent with HTTP 200) or a refusal.
type handlerFunc func(r *http.Request, body []byte) (any, *apiError)

func (s *Server) adapt(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		resp, err := h(r, callFrom(r.Context()).body)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// errorBody mirrors the platform's error answers, which carry the log id a
// second time in error.log_id.
type errorBody struct {
	Code  int    `json:"code"`
	Msg   string `json:"msg"`
	Error struct {
		LogID string `json:"log_id"`
	} `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	for k, v := range e.Header {
		w.Header().Set(k, v)
	}
	body := errorBody{Code: e.Code, Msg: e.Msg}
	body.Error.LogID = w.Header().Get("X-Tt-Logid")
	s.log.Debug("feishusim: refused", zap.String("method", r.Method), zap.String("path", r.URL.Path),
		zap.Int("status", e.Status), zap.Int("code", e.Code), zap.String("msg", e.Msg))
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; a failure is a bug in the simulator.
		status, b = http.StatusInternalServerError, []byte(`{"code":500,"msg":"feishusim: cannot encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// maxBody caps what the simulator reads. It is far above every documented
// limit (30 KB cards, 150 KB text), so oversize content is still refused with
// the platform's own code rather than cut off here.
const maxBody = 4 << 20

// decodeBody unmarshals a JSON object body into v, turning decoder errors
// into the gateway's answers: 9499 "Invalid parameter type in json: <field>"
// for a field of the wrong type (for example a card sent as a string).
func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return refuse(CodeBadRequest, "Bad Request: empty body")
	}
	err := json.Unmarshal(body, v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return badType(typeErr.Field)
	case errors.As(err, &typeErr):
		return refuse(CodeBadRequest, "Bad Request: body must be a JSON object")
	default:
		return refuse(CodeBadRequest, "Bad Request: body is not valid JSON: %v", err)
	}
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errors.New("body too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// Fault makes the simulator misbehave for one request: wait Delay first
// (honouring the request's context), then, if Status is set, answer with that
// HTTP status and platform Code instead of handling the request.
type Fault struct {
	Delay  time.Duration
	Status int
	Code   int
	Msg    string
}

// SetFault installs f, which is asked about every request (nil clears it).
// Returning nil from f lets the request through untouched.
func (s *Server) SetFault(f func(r *http.Request) *Fault) {
	if f == nil {
		s.fault.Store(nil)
		return
	}
	s.fault.Store(&f)
}

func (s *Server) injectFault(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fp := s.fault.Load()
		if fp == nil {
			next.ServeHTTP(w, r)
			return
		}
		f := (*fp)(r)
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
			return // the client went away; nothing to answer
		}
		if f.Status == 0 {
			next.ServeHTTP(w, r)
			return
		}
		msg := f.Msg
		if msg == "" {
			msg = "injected fault"
		}
		s.writeError(w, r, &apiError{Status: f.Status, Code: f.Code, Msg: msg})
	})
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Reset forgets the recorded calls and everything the API created: ephemeral
// cards, messages, uuids and rate-limit windows. Chats, users and issued
// tokens stay, so a client that is running keeps working.
func (s *Server) Reset() {
	s.mu.Lock()
	s.resetWorld()
	s.mu.Unlock()
	s.limits.reset()
	s.rec.mu.Lock()
	s.rec.calls = nil
	s.rec.mu.Unlock()
}

// resetWorld empties what the API creates; callers hold s.mu (or own s).
func (s *Server) resetWorld() {
	s.ephemerals, s.ephByID = nil, map[string]*Ephemeral{}
	s.messages, s.msgByID = nil, map[string]*Message{}
	s.uuids = map[string]uuidEntry{}
}
