package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// routeLongConn labels deliveries that came over the platform's long
// connection (package longconn) in logs and metrics.
const routeLongConn route = "longconn"

// ErrRefused is wrapped by every error Deliver returns: the delivery was not
// handled and must not be acknowledged as handled. Refusal reasons are
// logged by Deliver; the error's text names them too.
var ErrRefused = errors.New("webhook: delivery refused")

// Deliver runs one payload received over the platform's long connection
// through the pipeline of the webhook routes, from parsing on: the same
// app_id and id checks, the same claims (de-duplication), the same flows and
// the same answers. What the routes do with signatures, decryption and the
// Verification Token has no counterpart here: the connection itself, which
// botd dialled with the app secret, is the proof of origin, and the platform
// sends plain schema 2.0 JSON on it (feishu-platform.md §5).
//
// The long connection carries events and card.action.trigger callbacks only:
// url_verification, v1 events and the legacy card format are refused.
//
// It returns the answer for the frame and nil once the delivery is handled:
//
//   - an event: once the flows have recorded it and queued its work
//     durably, or it is a duplicate, or nothing for botd; the answer is {};
//   - a callback: its JSON answer (a toast, a card, or {}), or an error
//     toast when the flows failed, as on the callback URL, since callbacks
//     are not delivered again.
//
// Otherwise it returns an error wrapping ErrRefused, and the frame must be
// answered as failed so that the platform delivers the event again. ctx
// bounds the work; requestID names the delivery in logs.
func (h *Handler) Deliver(ctx context.Context, payload []byte, requestID string) (json.RawMessage, error) {
	start := time.Now()
	c := &call{rt: routeLongConn, ctx: ctx}
	c.log = newCallLog(h.log, c.fields[:], zap.String("route", string(routeLongConn)), zap.String("request_id", requestID))
	rep, err := h.safely(c, func() (reply, error) { return h.deliver(c, payload) })
	if err != nil {
		ref := logRefusal(c, err)
		h.metrics.observe(routeLongConn, outcomeOf(ref.status), time.Since(start))
		return nil, fmt.Errorf("%w: %s", ErrRefused, ref.reason)
	}
	h.metrics.observe(routeLongConn, rep.outcome, time.Since(start))
	return encodeReply(c, rep), nil
}

// deliver is the long connection's pipeline: size, parsing, app_id, then the
// webhook's own dispatch.
func (h *Handler) deliver(c *call, payload []byte) (reply, error) {
	if int64(len(payload)) > h.cfg.MaxBodyBytes {
		return reply{}, &refusal{status: http.StatusRequestEntityTooLarge, reason: "payload too large"}
	}
	env, err := parseEnvelope(payload)
	if err != nil {
		return reply{}, badRequest("payload is not a JSON object", err)
	}
	switch {
	case env.Encrypt != nil:
		// The SDK refuses these before they reach botd; the platform sends
		// plain JSON on the long connection.
		return reply{}, badRequest("encrypted payload on the long connection", nil)
	case env.kind() == kindChallenge:
		return reply{}, badRequest("url_verification on the long connection", nil)
	case env.kind() == kindLegacy:
		// The long connection does not carry the legacy card format (§5).
		return reply{}, badRequest("legacy card action on the long connection", nil)
	case env.kind() == kindV2 && env.Header == nil:
		return reply{}, badRequest("v2 envelope without header", nil)
	}
	if err := h.checkAppID(env); err != nil {
		return reply{}, err
	}
	return h.dispatch(c, env, proof{})
}
