package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"
)

// sdkCall is one SDK request. It must pass opts on to the SDK (they carry the
// tenant token) and return the raw response when there is one.
type sdkCall func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error)

// exchange is what the HTTP layer saw during one SDK request. The SDK hides
// it in the cases that matter most for retry decisions: on a 504 it returns a
// bare ServerTimeoutError without status or log id, on a timeout it returns a
// ClientTimeoutError that no longer wraps context.DeadlineExceeded, and its
// typed methods drop the status of a non-JSON answer (a gateway's HTML page).
// All three are still so in v3.11.0 (core/httptransport.go doSend,
// core/apiresp.go JSONUnmarshalBody).
type exchange struct {
	status int
	header http.Header
	err    error // transport or body-read error of the last attempt
}

type exchangeKey struct{}

// recordingClient is the http client given to the SDK. It notes the outcome
// of each request, including errors while the SDK reads the body, in the
// exchange carried by the request's context.
type recordingClient struct{ inner *http.Client }

func (c recordingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(req)
	ex, ok := req.Context().Value(exchangeKey{}).(*exchange)
	if !ok {
		return resp, err
	}
	ex.err = err
	if resp != nil {
		ex.status, ex.header = resp.StatusCode, resp.Header
		resp.Body = recordingBody{ReadCloser: resp.Body, ex: ex}
	}
	return resp, err
}

// recordingBody notes a failed body read: a connection cut or a deadline
// hit after the headers arrived is a network failure, not a bad answer.
type recordingBody struct {
	io.ReadCloser
	ex *exchange
}

func (b recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.ex.err = err
	}
	return n, err
}

// call runs fn with the tenant token under the per-call deadline. When the
// platform rejects the token it drops it from the cache and tries once more
// with a fresh one. Codes in okCodes count as success (e.g. 18051 for a
// delete). Failures are logged at Warn and returned as *APIError.
//
// A store app's call takes its tenant from ctx (tenantTokens) and is made
// with that tenant's token.
func (c *Client) call(ctx context.Context, op string, fn sdkCall, okCodes ...int) (*larkcore.ApiResp, error) {
	start := time.Now()
	tokens, err := c.tenantTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for attempt := 1; ; attempt++ {
		token, err := tokens.token(ctx)
		if err != nil {
			// tokenSource has logged the failure already.
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		resp, apiErr := c.attempt(ctx, op, fn, larkcore.WithTenantAccessToken(token))
		if apiErr == nil || slices.Contains(okCodes, apiErr.Code) {
			fields := []zap.Field{zap.String("op", op), zap.Duration("took", time.Since(start))}
			if apiErr != nil {
				fields = append(fields, zap.Int("code", apiErr.Code), zap.String("log_id", apiErr.LogID))
			} else {
				fields = append(fields, zap.String("log_id", resp.LogId()))
			}
			c.log.Debug("open api call ok", fields...)
			return resp, nil
		}
		if attempt == 1 && apiErr.tokenRejected() {
			c.log.Warn("tenant token rejected, retrying with a fresh one",
				zap.String("op", op), zap.Int("code", apiErr.Code), zap.String("log_id", apiErr.LogID))
			tokens.invalidate(ctx, token)
			continue
		}
		c.logFailure(apiErr, time.Since(start))
		return nil, apiErr
	}
}

// attempt runs fn once under its own deadline and sorts the outcome.
func (c *Client) attempt(ctx context.Context, op string, fn sdkCall, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, *APIError) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ex := &exchange{}
	resp, err := fn(context.WithValue(ctx, exchangeKey{}, ex), opts...)
	if err != nil {
		return nil, sdkFailure(ctx, op, err, ex)
	}
	if resp == nil {
		return nil, &APIError{Op: op, Msg: "no response from the sdk"}
	}
	return resp, checkResponse(op, resp)
}

// sdkFailure sorts an error the SDK returned instead of a response.
func sdkFailure(ctx context.Context, op string, err error, ex *exchange) *APIError {
	switch {
	case ex.err != nil:
		// Keep the transport error itself: it wraps context.DeadlineExceeded
		// where the SDK's ClientTimeoutError does not.
		return &APIError{Op: op, HTTPStatus: ex.status, LogID: logID(ex.header), Err: ex.err, network: true}
	case ctx.Err() != nil:
		return &APIError{Op: op, HTTPStatus: ex.status, Err: context.Cause(ctx), network: true}
	case ex.status != 0:
		// A response arrived but the SDK could not use it: a 504 or a body
		// that is not JSON. The SDK's message may quote the whole response,
		// so only the status and log id are kept.
		return &APIError{
			Op:         op,
			HTTPStatus: ex.status,
			Msg:        "unreadable response",
			LogID:      logID(ex.header),
			RetryAfter: retryAfter(ex.header),
		}
	default:
		// Nothing was sent: the SDK refused to build the request.
		return &APIError{Op: op, Msg: "request not sent", Err: err}
	}
}

// envelope is the part of every Open API answer the client reads for errors.
type envelope struct {
	Code  *int   `json:"code"`
	Msg   string `json:"msg"`
	Error *struct {
		LogID string `json:"log_id"`
	} `json:"error"`
}

// checkResponse turns a non-2xx status or a non-zero code into an *APIError.
// A 200 with a non-zero code is a failure too.
func checkResponse(op string, resp *larkcore.ApiResp) *APIError {
	e := &APIError{
		Op:         op,
		HTTPStatus: resp.StatusCode,
		LogID:      logID(resp.Header),
		RetryAfter: retryAfter(resp.Header),
	}
	var env envelope
	if err := json.Unmarshal(resp.RawBody, &env); err != nil || env.Code == nil {
		if resp.StatusCode/100 == 2 {
			e.Msg = "response has no code"
			return e
		}
		e.Msg = http.StatusText(resp.StatusCode)
		return e
	}
	e.Code, e.Msg = *env.Code, env.Msg
	if e.LogID == "" && env.Error != nil {
		e.LogID = env.Error.LogID
	}
	if resp.StatusCode/100 == 2 && e.Code == codeOK {
		return nil
	}
	return e
}

// logID reads the platform's log id (X-Tt-Logid, or X-Request-Id as the SDK does).
func logID(h http.Header) string {
	if h == nil {
		return ""
	}
	if id := h.Get(larkcore.HttpHeaderKeyLogId); id != "" {
		return id
	}
	return h.Get(larkcore.HttpHeaderKeyRequestId)
}

func (c *Client) logFailure(e *APIError, took time.Duration) {
	fields := []zap.Field{
		zap.String("op", e.Op),
		zap.Int("http_status", e.HTTPStatus),
		zap.Int("code", e.Code),
		zap.String("log_id", e.LogID),
		zap.Bool("retryable", e.Retryable()),
		zap.Duration("took", took),
		zap.Error(e),
	}
	if e.RetryAfter > 0 {
		fields = append(fields, zap.Duration("retry_after", e.RetryAfter))
	}
	c.log.Warn("open api call failed", fields...)
}
