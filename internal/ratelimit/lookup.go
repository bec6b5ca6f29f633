package ratelimit

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
)

// Do makes one Open API call that is not a flows.Sender method (a chat or
// member lookup) under call's quotas, as the Sender does for its calls: it
// waits for its turn (Wait), runs fn, and honours a rate-limit error that
// gets through anyway. When the wait fails (a *WaitError, the context, Redis)
// fn is not run and that error is returned.
//
// Lookups must be paced like everything else: they share the app's quota
// with nothing, but a burst of commands in many chats would otherwise make
// a burst of lookups that the platform refuses.
func (l *Limiter) Do(ctx context.Context, call Call, fn func(context.Context) error) error {
	if err := l.Wait(ctx, call); err != nil {
		return err
	}
	err := fn(ctx)
	l.honour(ctx, call.api, err)
	return err
}

// honour pauses api when err carries the platform's request to wait
// (ephemeral.APIError.RetryDelay, from x-ogw-ratelimit-reset), so that no
// replica keeps hitting a limit we got wrong. The pause is best effort: the
// caller gets err either way, and the job queue retries after the delay.
// A deferred error (a store app still waiting for its app_ticket) also
// asks for a delay, but says nothing about the API's quota: it pauses no
// one.
func (l *Limiter) honour(ctx context.Context, api API, err error) {
	var ra interface{ RetryDelay() time.Duration }
	var deferred interface{ Deferred() bool }
	if l.off() || !errors.As(err, &ra) || errors.As(err, &deferred) && deferred.Deferred() {
		return
	}
	d := ra.RetryDelay()
	if d <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pauseTimeout)
	defer cancel()
	if perr := l.Pause(ctx, api, d); perr != nil {
		l.log.Warn("could not share a rate-limit pause", zap.String("api", string(api)),
			zap.Duration("pause", d), zap.Error(perr), zap.NamedError("cause", err))
		return
	}
	l.log.Warn("rate limited despite pacing; api paused for all replicas",
		zap.String("api", string(api)), zap.Duration("pause", d), zap.Error(err))
}
