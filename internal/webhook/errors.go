package webhook

import (
	"errors"
	"net/http"
)

// Outcomes label the requests metric and the log line of every request.
const (
	outcomeOK            = "ok"             // handed to the flows
	outcomeChallenge     = "challenge"      // url_verification answered
	outcomeDuplicate     = "duplicate"      // already claimed: nothing done
	outcomeIgnored       = "ignored"        // authentic, but nothing for botd
	outcomeCallbackError = "callback_error" // callback failed on our side: 200 + error toast
	outcomeMethod        = "method_not_allowed"
	outcomeTooLarge      = "too_large"
	outcomeBadRequest    = "bad_request"
	outcomeUnauthorized  = "unauthorized"
	outcomeUnavailable   = "unavailable" // our fault (store or flows): the platform retries
)

// refusal is every answer other than 200. Client mistakes map to 4xx as
// contract.md fixes them; 503 is reserved for our own failures, so that the
// platform retries. Nothing ever answers 500.
type refusal struct {
	status int
	reason string // short and free of secrets: logged, never sent
	err    error  // the cause, if any: logged, never sent
}

func (e *refusal) Error() string {
	if e.err != nil {
		return e.reason + ": " + e.err.Error()
	}
	return e.reason
}

func (e *refusal) Unwrap() error { return e.err }

func badRequest(reason string, err error) error {
	return &refusal{status: http.StatusBadRequest, reason: reason, err: err}
}

func unauthorized(reason string) error {
	return &refusal{status: http.StatusUnauthorized, reason: reason}
}

func unavailable(reason string, err error) error {
	return &refusal{status: http.StatusServiceUnavailable, reason: reason, err: err}
}

// asRefusal turns any error into a refusal. An error that is not one already
// is a bug on our side, never the client's, hence 503 rather than a 4xx.
func asRefusal(err error) *refusal {
	var r *refusal
	if errors.As(err, &r) {
		return r
	}
	return &refusal{status: http.StatusServiceUnavailable, reason: "internal error", err: err}
}

func outcomeOf(status int) string {
	switch status {
	case http.StatusMethodNotAllowed:
		return outcomeMethod
	case http.StatusRequestEntityTooLarge:
		return outcomeTooLarge
	case http.StatusBadRequest:
		return outcomeBadRequest
	case http.StatusUnauthorized:
		return outcomeUnauthorized
	default:
		return outcomeUnavailable
	}
}
