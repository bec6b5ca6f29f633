package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/platformid"
	"github.com/botd/botd/internal/requestid"
)

// route names a webhook route in logs and metrics.
type route string

const (
	routeEvent route = "event"
	routeCard  route = "card"
)

// Routes installs the webhook routes on r. Both are called by the
// Feishu/Lark platform only; the method is checked here rather than by chi
// so that a wrong method is counted and answered like every other refusal.
func (h *Handler) Routes(r chi.Router) {
	if h.cfg.LongConnection {
		// No token was required: serving the routes now would accept
		// unsigned requests from anyone who can reach them.
		panic("webhook: Routes on a handler configured for the long connection")
	}
	// platform: the event subscription URL. url_verification,
	// im.message.receive_v1, and card.action.trigger when callbacks are
	// subscribed on the same URL.
	r.HandleFunc("/webhook/event", h.serve(routeEvent))
	// platform: the callback URL. card.action.trigger, and the legacy card
	// request URL format with its own SHA-1 signature.
	r.HandleFunc("/webhook/card", h.serve(routeCard))
}

// call is one request on its way through the pipeline. Its logger gains
// fields (event_id, chat_id, ...) as they become known, so that the final
// log line of a refusal carries everything learned before it.
type call struct {
	rt     route
	ctx    context.Context // the request's, or the long connection's delivery
	r      *http.Request   // nil for a delivery over the long connection
	log    callLog
	fields [8]zap.Field // log's first fields
}

func (c *call) with(fields ...zap.Field) { c.log.with(fields...) }

// newCall starts a request's way through the pipeline.
func (h *Handler) newCall(rt route, r *http.Request) *call {
	c := &call{rt: rt, ctx: r.Context(), r: r}
	c.log = newCallLog(h.log, c.fields[:], zap.String("route", string(rt)), zap.String("request_id", requestID(r)))
	return c
}

// serve adapts the pipeline to HTTP: it writes the single answer, logs
// refusals (only our own failures as errors) and records metrics.
func (h *Handler) serve(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := h.newCall(rt, r)
		var outcome string
		if rep, err := h.safely(c, func() (reply, error) { return h.handle(w, c) }); err != nil {
			outcome = refuse(w, c, err)
		} else {
			outcome = rep.outcome
			writeJSON(w, http.StatusOK, encodeReply(c, rep))
		}
		h.metrics.observe(rt, outcome, time.Since(start))
	}
}

// refuse writes a refusal and returns its outcome.
func refuse(w http.ResponseWriter, c *call, err error) string {
	ref := logRefusal(c, err)
	if ref.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, ref.status, errorBody(ref.status))
	return outcomeOf(ref.status)
}

// logRefusal logs why a request or delivery was refused: the reason and
// cause are logged, never sent; only our own failures are errors.
func logRefusal(c *call, err error) *refusal {
	ref := asRefusal(err)
	fields := []zap.Field{zap.Int("status", ref.status), zap.String("reason", ref.reason)}
	if ref.err != nil {
		fields = append(fields, loggedError("cause", ref.err))
	}
	if ref.status >= http.StatusInternalServerError {
		c.log.Error("request failed", fields...)
	} else {
		c.log.Info("request refused", fields...)
	}
	return ref
}

// encodeReply is the body of a 200 answer: the reply's body, or {}.
func encodeReply(c *call, rep reply) []byte {
	body := []byte(emptyObject)
	if rep.body != nil {
		if b, err := json.Marshal(rep.body); err != nil {
			c.log.Error("cannot encode answer; answered {}", loggedError("error", err))
		} else {
			body = b
		}
	}
	c.log.Debug("answered", zap.String("outcome", rep.outcome))
	return body
}

// safely runs a pipeline and turns a panic into a 503: whatever a client
// sends, the answer is never a 500.
func (h *Handler) safely(c *call, run func() (reply, error)) (rep reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			c.log.Error("panic", zap.String("panic", truncate(fmt.Sprint(p), maxLoggedError)), zap.ByteString("stack", debug.Stack()))
			rep, err = reply{}, unavailable("panic", fmt.Errorf("%v", p))
		}
	}()
	return run()
}

// handle is the pipeline: method, body, then open (signature, decryption,
// parsing, token) and dispatch.
func (h *Handler) handle(w http.ResponseWriter, c *call) (reply, error) {
	if c.r.Method != http.MethodPost {
		return reply{}, &refusal{status: http.StatusMethodNotAllowed, reason: "method " + truncate(c.r.Method, 16)}
	}
	raw, err := readBody(w, c.r, h.cfg.MaxBodyBytes)
	if err != nil {
		return reply{}, err
	}
	env, p, err := h.open(c, raw)
	if err != nil {
		return reply{}, err
	}
	return h.dispatch(c, env, p)
}

// readBody reads at most limit bytes and keeps them: the signature is over
// these exact bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	var raw []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= limit {
		// The platform says how long its bodies are: one buffer of that
		// size, rather than ReadAll's growing and copying. net/http ends
		// the body at that length, so nothing more can be read.
		raw = make([]byte, n)
		_, err = io.ReadFull(body, raw)
	} else {
		raw, err = io.ReadAll(body)
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &refusal{status: http.StatusRequestEntityTooLarge, reason: "body too large"}
	case err != nil:
		return nil, badRequest("reading body", err)
	}
	return raw, nil
}

// dispatch routes a trusted envelope by kind (§4.5).
func (h *Handler) dispatch(c *call, env *envelope, p proof) (reply, error) {
	switch env.kind() {
	case kindChallenge:
		c.log.Info("url_verification answered")
		return reply{outcome: outcomeChallenge, body: challengeAnswer{Challenge: env.Challenge}}, nil

	case kindV2:
		if env.Header == nil {
			// authorize refuses these; this guard keeps a nil header from
			// ever becoming a panic (a 503) should that change.
			return reply{}, badRequest("v2 envelope without header", nil)
		}
		c.with(logged("event_id", env.Header.EventID), logged("event_type", env.Header.EventType))
		switch {
		case env.Header.EventID == "":
			return reply{}, badRequest("v2 envelope without event_id", nil)
		case !validEventID(env.Header.EventID):
			// It becomes a claim key in Redis and a log field.
			return reply{}, badRequest("malformed event_id", nil)
		}
		switch env.Header.EventType {
		case eventMessageReceive:
			// Events come to the event URL or the long connection, never
			// to the callback URL.
			if c.rt != routeCard {
				// A self-built app reads no tenant: nothing more to decode on its path.
				if h.cfg.StoreApp {
					if err := h.withTenant(c, messageTenant(env)); err != nil {
						return reply{}, err
					}
				}
				return h.handleMessage(c, env)
			}
		case eventCardAction:
			if h.cfg.StoreApp {
				if err := h.withTenant(c, cardTenant(env)); err != nil {
					return reply{}, err
				}
			}
			return h.handleCardAction(c, env)
		}
		c.log.Debug("event type not handled here; ignored")
		return reply{outcome: outcomeIgnored}, nil

	case kindV1:
		// A store app's app events (tenant.go); every other is ignored.
		return h.handleV1(c, env)

	case kindLegacy:
		if err := h.withTenant(c, env.TenantKey); err != nil {
			return reply{}, err
		}
		return h.handleLegacyAction(c, env, p)

	default:
		c.log.Info("authentic request of an unknown kind; ignored")
		return reply{outcome: outcomeIgnored}, nil
	}
}

// requestID names the request in logs: the id the request-id middleware
// (requestid.Middleware, stored where chi's middleware.GetReqID finds it)
// assigned, else the platform's request or log id if it is a safe one, else
// a fresh id. Whatever a client sends, at most requestid.MaxLen safe
// characters of it reach the logs, even behind chi's own RequestID, which
// copies any value.
func requestID(r *http.Request) string {
	if id := middleware.GetReqID(r.Context()); requestid.Valid(id) {
		return id
	}
	for _, h := range []string{larkcore.HttpHeaderKeyRequestId, larkcore.HttpHeaderKeyLogId} {
		if id := r.Header.Get(h); requestid.Valid(id) {
			return id
		}
	}
	return requestid.New()
}

// Bounds on what a request can put into one log line. Ids are checked
// before use, but some are logged before (or because) they fail the check.
const (
	maxLoggedValue = 128 // ids and names: real ones are 40 or so characters
	maxLoggedError = 512 // causes: decoding errors can quote the input
)

// logged is a log field for a value taken from a request.
func logged(key, value string) zap.Field {
	return zap.String(key, truncate(value, maxLoggedValue))
}

// loggedError is a log field for an error whose text may quote a request.
func loggedError(key string, err error) zap.Field {
	return zap.String(key, truncate(err.Error(), maxLoggedError))
}

// validEventID reports whether s can be an event_id: the platform's are 32
// hex characters; anything of at most platformid.MaxLen characters of
// [A-Za-z0-9._-] is accepted, since the format is not documented.
func validEventID(s string) bool {
	return s != "" && len(s) <= platformid.MaxLen && safeChars(s)
}

func safeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
