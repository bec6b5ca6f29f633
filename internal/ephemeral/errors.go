package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidArgument marks a call refused before anything was sent: an empty
// chat or message id, no recipient, a card that is not a JSON object, a uuid
// that is too long. Retrying such a call cannot help.
var ErrInvalidArgument error = permanentError("ephemeral: invalid argument")

// permanentError is an error that says so to callers that sort errors by a
// Retryable method (the job queue), without their importing this package.
type permanentError string

func (e permanentError) Error() string   { return string(e) }
func (e permanentError) Retryable() bool { return false }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// Platform codes the client acts on. The retry sorting follows
// docs/feishu-platform.md §12; codes not listed there are sorted by HTTP status.
const (
	codeOK                      = 0
	codeRateLimited             = 99991400 // app tier rate limit (HTTP 429, or 400 on older APIs)
	codeTenantTokenInvalid      = 99991663
	codeAppTokenInvalid         = 99991664
	codeEphemeralAlreadyDeleted = 18051 // ephemeral/v1/delete: the card is already gone
)

// retryableCodes are transient: rate limits, and invalid tokens (the client has
// already refreshed the token and retried once when it returns one of them).
var retryableCodes = map[int]bool{
	codeRateLimited:        true,
	230020:                 true, // im/v1/messages: per user / per group / per message rate limit
	11232:                  true, // older message API rate limit
	11233:                  true, // older message API rate limit
	codeTenantTokenInvalid: true,
	codeAppTokenInvalid:    true,
}

// permanentCodes never succeed on retry: bad parameters, missing permissions,
// the bot or the user not in the chat. They win over the HTTP status, so a
// 5xx that carries one of them is still permanent.
var permanentCodes = map[int]bool{
	230001:   true, // invalid request parameter
	230002:   true, // bot not in the chat
	230006:   true, // bot capability not enabled
	230013:   true, // user outside the bot's availability range
	230025:   true, // content too long
	230027:   true, // missing permission
	230099:   true, // card content could not be built
	99991672: true, // app lacks the scope for this API
	99991401: true, // caller IP not in the app's allow-list
	10002:    true, // bot not in the chat (older message family)
	11206:    true, // user not in the chat
}

// APIError is a failed Open API call: the platform answered with a non-zero
// code or a non-2xx status, or the request never got an answer (Err is then
// the network or deadline error, and errors.Is(err, context.DeadlineExceeded)
// works through Unwrap).
//
// It never holds the tenant token or the app secret.
type APIError struct {
	Op         string        // what the client was doing, e.g. "ephemeral.send"
	HTTPStatus int           // 0 when no response arrived
	Code       int           // the body's "code"; 0 when absent
	Msg        string        // the body's "msg", or a short description
	LogID      string        // X-Tt-Logid, for the platform's support
	RetryAfter time.Duration // from x-ogw-ratelimit-reset; 0 when not given
	Err        error         // underlying network/decoding error, if any

	network bool // no response: the request may or may not have reached the platform
}

// Error describes the failure by operation, code, message and log id.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.network {
		b.WriteString(": request failed")
	}
	if e.HTTPStatus != 0 {
		b.WriteString(": http ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
	}
	if e.Code != 0 {
		b.WriteString(": code ")
		b.WriteString(strconv.Itoa(e.Code))
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.LogID != "" {
		b.WriteString(" (log_id ")
		b.WriteString(e.LogID)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the network or decoding error behind e, if any.
func (e *APIError) Unwrap() error { return e.Err }

// NotApplied reports whether the platform certainly did not apply the call:
// it answered, and refused (HTTP 4xx, or a non-zero code on a 2xx). After a
// network error, a timeout or a 5xx the call may have gone through.
func (e *APIError) NotApplied() bool {
	return !e.network && e.HTTPStatus > 0 && e.HTTPStatus < 500
}

// RetryDelay is how long the platform asked us to wait (RetryAfter); the job
// queue reads it through this method so it need not import this package.
func (e *APIError) RetryDelay() time.Duration { return e.RetryAfter }

// Retryable reports whether the same call may succeed later: network errors
// and timeouts, HTTP 5xx and 429, rate-limit and token codes. Parameter,
// permission and membership failures are permanent.
func (e *APIError) Retryable() bool {
	switch {
	case e.network:
		return true
	case retryableCodes[e.Code]:
		return true
	case permanentCodes[e.Code]:
		return false
	case e.HTTPStatus == http.StatusTooManyRequests:
		return true
	case e.HTTPStatus >= 500:
		return true
	default:
		// Any other code on a 2xx/4xx is a request the platform understood
		// and refused; sending it again gets the same answer.
		return false
	}
}

// Retryable reports whether err, returned by any Client method, is worth
// retrying. Errors that are not *APIError (invalid arguments, nil) are not,
// except a context deadline, which is treated like a network timeout.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.Retryable()
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// IsChatGone reports whether err says the bot can no longer see a chat: it
// is not a member (it was removed), or there is no such chat (disbanded).
func IsChatGone(err error) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok {
		return false
	}
	switch apiErr.Code {
	case 230002, 10002, 232011, 232006: // bot not in chat (im, older im, chat API); no such chat
		return true
	}
	return false
}

// retryAfter reads x-ogw-ratelimit-reset, the number of seconds until the
// rate-limit window resets.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("X-Ogw-Ratelimit-Reset"))
	if v == "" {
		return 0
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}
