package webhook

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
)

// Claim keys. The store may add its own namespace in front.
func eventKey(eventID string) string     { return "event:" + eventID }
func messageKey(messageID string) string { return "message:" + messageID }
func legacyKey(signature string) string  { return "legacy:" + signature }

// releaseTimeout bounds a release that runs after the request may be gone.
const releaseTimeout = 2 * time.Second

// once runs do unless one of keys is already claimed (dup is then true and
// nothing runs). The keys are claimed together before do runs, for a short
// lease; when do succeeds they are kept for ClaimTTL, and when it fails they
// are released, so that the platform's redelivery is handled instead of
// being dropped as a duplicate. If the process dies in between, the lease
// lapses before the platform retries; a redelivery that finds the lease
// still there is answered 503, to be retried, not taken for a duplicate. A
// duplicate leaves nothing behind: the keys are claimed all or none.
func (h *Handler) once(c *call, keys []string, do func(context.Context) error) (dup bool, err error) {
	ctx := c.ctx
	taken, handled, err := h.claims.Claim(ctx, h.cfg.ClaimLease, keys...)
	if err != nil {
		return false, fmt.Errorf("claiming %v: %w", keys, err)
	}
	if taken != "" && !handled {
		// Another request holds the lease: it is still at work, or its
		// process died. Saying "duplicate" now would lose the event in the
		// second case; a 503 makes the platform try again later, after the
		// lease has either become a kept claim or lapsed.
		return false, unavailable("delivery in hand elsewhere", fmt.Errorf("claim %s is leased", taken))
	}
	if taken != "" {
		c.log.Info("duplicate; nothing done", zap.String("claim", taken))
		return true, nil
	}
	if err := h.callFlows(ctx, c, do); err != nil {
		h.release(c, keys)
		return false, err
	}
	if err := h.claims.Keep(context.WithoutCancel(ctx), h.cfg.ClaimTTL, keys...); err != nil {
		// The work is done and queued; only a redelivery after the lease
		// could now be handled twice, which the flows' own state catches.
		c.log.Warn("cannot keep claims; a late redelivery may be handled again",
			zap.Strings("claims", keys), zap.Error(err))
	}
	return false, nil
}

// release frees claims on a context detached from the request: when the
// platform hangs up (its 3 s deadline) or the connection drops, the release
// must still happen, or the redelivery would be taken for a duplicate and
// the event lost.
func (h *Handler) release(c *call, keys []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), releaseTimeout)
	defer cancel()
	if err := h.claims.Release(ctx, keys...); err != nil {
		c.log.Error("cannot release claims; a redelivery will be taken for a duplicate until they expire",
			zap.Strings("claims", keys), zap.Duration("ttl", h.cfg.ClaimTTL), zap.Error(err))
	}
}

// callFlows runs do and turns a panic into an error, so that the claims are
// released and the request still gets its answer.
func (h *Handler) callFlows(ctx context.Context, c *call, do func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("flows panicked", zap.String("panic", truncate(fmt.Sprint(p), maxLoggedError)), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("flows panicked: %v", p)
		}
	}()
	if err := do(ctx); err != nil {
		return fmt.Errorf("flows: %w", err)
	}
	return nil
}
