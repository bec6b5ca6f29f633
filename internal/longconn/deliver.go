package longconn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/requestid"
)

// Refusals before a payload reaches the Deliverer. The SDK answers them
// with code 500, and the platform delivers the event again, to this
// connection or another.
var (
	errStopping = errors.New("longconn: stopping: delivery refused, to be delivered again")
	errBusy     = errors.New("longconn: too many deliveries in hand: refused, to be delivered again")
)

// onEvent is the SDK's handler for im.message.receive_v1: the raw payload
// (ev.Body), through botd's pipeline. Returning nil acknowledges the frame.
func (r *Receiver) onEvent(ctx context.Context, ev *larkevent.EventReq) error {
	_, err := r.deliver(ctx, ev.Body)
	return err
}

// onCallback is the SDK's handler for card.action.trigger. The SDK has
// already decoded the payload into its own type (a callback whose value is
// not an object fails there, before botd sees it); botd reads the raw
// payload the SDK keeps alongside (ev.EventReq), as on the callback URL.
func (r *Receiver) onCallback(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	if ev == nil || ev.EventReq == nil {
		return nil, errors.New("longconn: callback without its raw payload")
	}
	ans, err := r.deliver(ctx, ev.EventReq.Body)
	if err != nil {
		return nil, err
	}
	return callbackResponse(ans)
}

// deliver hands one payload to the pipeline under the answer budget. The
// SDK's context ends when the connection does; the work does not stop
// with it: it is bounded by the budget, and what it queued stays queued
// (a redelivery then finds it done).
func (r *Receiver) deliver(ctx context.Context, payload []byte) (json.RawMessage, error) {
	switch r.gate.enter() {
	case gateClosed:
		return nil, errStopping
	case gateFull:
		r.log.Warn("long connection: too many deliveries in hand; refused one", zap.Int("max_in_flight", r.cfg.MaxInFlight))
		return nil, errBusy
	}
	defer r.gate.leave()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.AnswerBudget)
	defer cancel()
	return r.d.Deliver(ctx, payload, requestid.New())
}

// callbackResponse turns the pipeline's answer ({"toast": ..., "card": {"type":
// "raw", "data": ...}}, or {}) into the SDK's type, keeping the card's JSON
// exactly as the flows built it.
func callbackResponse(ans json.RawMessage) (*callback.CardActionTriggerResponse, error) {
	var a struct {
		Toast *callback.Toast `json:"toast"`
		Card  *struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"card"`
	}
	if err := json.Unmarshal(ans, &a); err != nil {
		return nil, fmt.Errorf("longconn: callback answer: %w", err)
	}
	resp := &callback.CardActionTriggerResponse{Toast: a.Toast}
	if a.Card != nil {
		resp.Card = &callback.Card{Type: a.Card.Type, Data: a.Card.Data}
	}
	return resp, nil
}

// gate counts the deliveries in hand, bounds them, and closes for the drain.
type gate struct {
	max int

	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed when n reaches 0 after close
}

type admission int

const (
	gateOpen admission = iota
	gateClosed
	gateFull
)

func (g *gate) enter() admission {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		return gateClosed
	case g.n >= g.max:
		return gateFull
	}
	g.n++
	return gateOpen
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// close admits nothing more and returns a channel closed once nothing is
// in hand.
func (g *gate) close() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	ch := make(chan struct{})
	if g.n == 0 {
		close(ch)
	} else {
		g.idle = ch
	}
	return ch
}
