package ephemeral

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/botd/botd/internal/jobs/retry"
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

// Platform codes the client names in code. Every code it acts on is in
// platformCodes.
const (
	codeOK                      = 0
	codeRateLimited             = 99991400 // app tier rate limit (HTTP 429, or 400 on older APIs)
	codeTenantTokenInvalid      = 99991663
	codeAppTokenInvalid         = 99991664
	codeEphemeralAlreadyDeleted = 18051 // ephemeral/v1/delete: the card is already gone (a success there)
)

// retryClass says whether a platform code is worth a retry.
type retryClass uint8

const (
	transient retryClass = iota + 1 // the same call may succeed later
	permanent                       // it never will: parameters, permissions, membership
)

// codeInfo is what botd knows about one platform code.
type codeInfo struct {
	class retryClass
	// tokenRejected: the tenant token was refused; the client drops it and
	// retries once with a fresh one before reporting the code (transient).
	tokenRejected bool
	// chatGone: the bot can no longer see the chat (removed from it, or the
	// chat is disbanded or never existed); see IsChatGone.
	chatGone bool
}

// platformCodes is the one table of platform codes botd sorts, after
// docs/feishu-platform.md §12 and the chat API's codes (§11). Nothing outside
// this package matches codes: callers ask APIError.Retryable, IsChatGone,
// or the package-level Retryable. A listed class wins over the HTTP status,
// so a 5xx that carries a permanent code is still permanent; codes not
// listed are sorted by HTTP status (see APIError.Retryable).
var platformCodes = map[int]codeInfo{
	// Transient: rate limits, and rejected tokens (already refreshed once).
	codeRateLimited:        {class: transient},
	230020:                 {class: transient}, // im/v1/messages: per user / per group / per message rate limit
	11232:                  {class: transient}, // older message API rate limit
	11233:                  {class: transient}, // older message API rate limit
	codeTenantTokenInvalid: {class: transient, tokenRejected: true},
	codeAppTokenInvalid:    {class: transient, tokenRejected: true},

	// Permanent: bad parameters, missing permissions or capabilities.
	230001:   {class: permanent}, // invalid request parameter
	230006:   {class: permanent}, // bot capability not enabled
	230013:   {class: permanent}, // user outside the bot's availability range
	230025:   {class: permanent}, // content too long
	230027:   {class: permanent}, // missing permission
	230099:   {class: permanent}, // card content could not be built
	99991672: {class: permanent}, // app lacks the scope for this API
	99991401: {class: permanent}, // caller IP not in the app's allow-list
	11206:    {class: permanent}, // user not in the chat

	// Permanent, and the chat is out of the bot's reach.
	230002: {class: permanent, chatGone: true}, // bot not in the chat (im/v1)
	10002:  {class: permanent, chatGone: true}, // bot not in the chat (older message family)
	232011: {class: permanent, chatGone: true}, // chat API: the bot is not in the chat
	232006: {class: permanent, chatGone: true}, // chat API: no such chat
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
// and timeouts, HTTP 5xx and 429, and the transient codes of platformCodes.
// Its permanent codes (parameters, permissions, membership) are not, and
// neither is any other code on a 2xx/4xx: a request the platform understood
// and refused gets the same answer when sent again.
func (e *APIError) Retryable() bool {
	if e.network {
		return true
	}
	if info, ok := platformCodes[e.Code]; ok && e.Code != codeOK {
		return info.class == transient
	}
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}

// tokenRejected reports whether the platform refused the tenant token.
func (e *APIError) tokenRejected() bool { return platformCodes[e.Code].tokenRejected }

// Retryable reports whether err, returned by any Client method, is worth
// retrying. It is botd's one rule (retry.Retryable, which the job queue and
// the scheduler use too): an error that says so itself decides (*APIError,
// ErrInvalidArgument), nil is not, and anything else is.
func Retryable(err error) bool { return retry.Retryable(err) }

// IsChatGone reports whether err says the bot can no longer see a chat: it
// is not a member (it was removed), or there is no such chat (disbanded).
func IsChatGone(err error) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	return ok && platformCodes[apiErr.Code].chatGone
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
