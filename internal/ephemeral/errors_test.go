package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFailureSorting sends an ephemeral card to a platform that answers with
// each status/code and checks how the failure is sorted.
func TestFailureSorting(t *testing.T) {
	plain := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	coded := func(status, code int) http.HandlerFunc {
		return answer(status, map[string]any{"code": code, "msg": fmt.Sprintf("error %d", code)})
	}
	tests := []struct {
		name       string
		h          http.HandlerFunc
		wantStatus int
		wantCode   int
		retryable  bool
	}{
		{"5xx html page", plain(502, "<html>bad gateway</html>"), 502, 0, true},
		{"500 json unknown code", coded(500, 55555), 500, 55555, true},
		{"503 no body", plain(503, ""), 503, 0, true},
		{"504 gateway timeout", plain(504, "timeout"), 504, 0, true},
		{"429 rate limited", coded(429, 99991400), 429, 99991400, true},
		{"400 rate limited older api", coded(400, 99991400), 400, 99991400, true},
		{"200 message rate limit", coded(200, 230020), 200, 230020, true},
		{"200 older rate limit 11232", coded(200, 11232), 200, 11232, true},
		{"200 older rate limit 11233", coded(200, 11233), 200, 11233, true},
		{"app token invalid", coded(200, 99991664), 200, 99991664, true},
		{"bad parameter", coded(400, 230001), 400, 230001, false},
		{"bot not in chat", coded(400, 230002), 400, 230002, false},
		{"bot capability off", coded(400, 230006), 400, 230006, false},
		{"user out of range", coded(400, 230013), 400, 230013, false},
		{"content too long", coded(400, 230025), 400, 230025, false},
		{"missing permission", coded(400, 230027), 400, 230027, false},
		{"card invalid", coded(400, 230099), 400, 230099, false},
		{"scope missing", coded(403, 99991672), 403, 99991672, false},
		{"bot not in chat older", coded(200, 10002), 200, 10002, false},
		{"user not in chat", coded(200, 11206), 200, 11206, false},
		{"permanent code wins over 5xx", coded(500, 230001), 500, 230001, false},
		{"unknown code on 200", coded(200, 12345), 200, 12345, false},
		{"unknown code on 400", coded(400, 12345), 400, 12345, false},
		{"200 without code", plain(200, "not json"), 200, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLark(t)
			f.handle("POST "+pathEphemeralSend, tt.h)
			c, _ := newTestClient(t, f)

			_, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
			apiErr, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.HTTPStatus != tt.wantStatus || apiErr.Code != tt.wantCode {
				t.Errorf("status, code = %d, %d; want %d, %d", apiErr.HTTPStatus, apiErr.Code, tt.wantStatus, tt.wantCode)
			}
			if got := Retryable(err); got != tt.retryable {
				t.Errorf("Retryable(%v) = %v, want %v", err, got, tt.retryable)
			}
			if apiErr.Op != opEphemeralSend {
				t.Errorf("Op = %q, want %q", apiErr.Op, opEphemeralSend)
			}
		})
	}
}

func TestErrorCarriesLogIDAndRetryAfter(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-ogw-ratelimit-limit", "50")
		w.Header().Set("x-ogw-ratelimit-reset", "7")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 99991400, "msg": "request trigger frequency limit"})
	})
	c, logs := newTestClient(t, f)

	_, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter = %v, want 7s", apiErr.RetryAfter)
	}
	if apiErr.LogID != "log-test-123" {
		t.Errorf("LogID = %q", apiErr.LogID)
	}
	for _, want := range []string{"ephemeral.send", "99991400", "request trigger frequency limit", "log-test-123"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Error() = %q, missing %q", err.Error(), want)
		}
	}
	warn := logs.FilterMessage("open api call failed").All()
	if len(warn) != 1 {
		t.Fatalf("got %d failure logs, want 1", len(warn))
	}
	fields := warn[0].ContextMap()
	if fields["op"] != "ephemeral.send" || fields["code"] != int64(99991400) || fields["log_id"] != "log-test-123" {
		t.Errorf("log fields = %v", fields)
	}
}

func TestDeleteAlreadyDeletedIsSuccess(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralDelete, answer(http.StatusBadRequest, map[string]any{"code": 18051, "msg": "message has been deleted"}))
	c, logs := newTestClient(t, f)

	if err := c.DeleteEphemeral(context.Background(), "om_1"); err != nil {
		t.Fatalf("DeleteEphemeral = %v, want nil for 18051", err)
	}
	if n := logs.FilterMessage("open api call failed").Len(); n != 0 {
		t.Errorf("18051 logged as a failure %d times", n)
	}
}

func TestRetryableFunc(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"invalid argument", invalidf("x"), false},
		// botd's one rule (internal/jobs/retry): an error that does not
		// say is retried, as the job queue and the scheduler do.
		{"plain error", errors.New("boom"), true},
		{"deadline", context.DeadlineExceeded, true},
		{"canceled", context.Canceled, true},
		{"wrapped api error", fmt.Errorf("job: %w", &APIError{HTTPStatus: 503}), true},
		{"wrapped permanent", fmt.Errorf("job: %w", &APIError{HTTPStatus: 400, Code: 230002}), false},
		{"network", &APIError{Err: errors.New("connection refused"), network: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retryable(tt.err); got != tt.want {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestConnectionRefusedIsRetryable(t *testing.T) {
	f := newFakeLark(t)
	c, _ := newTestClient(t, f)
	f.srv.Close() // nothing listens any more

	_, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
	if err == nil || !Retryable(err) {
		t.Fatalf("err = %v, Retryable = %v; want a retryable error", err, Retryable(err))
	}
}

func TestCutConnectionIsRetryable(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		// Promise 100 bytes, send a few, hang up.
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\":0")
		_ = buf.Flush()
	})
	c, _ := newTestClient(t, f)

	_, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
	if err == nil || !Retryable(err) {
		t.Fatalf("err = %v, Retryable = %v; want a retryable network error", err, Retryable(err))
	}
}

func TestInvalidArgumentsSendNothing(t *testing.T) {
	f := newFakeLark(t)
	c, _ := newTestClient(t, f)
	ctx := context.Background()

	calls := map[string]func() error{
		"send no chat":         func() error { _, err := c.SendEphemeral(ctx, "", "ou_1", testCard); return err },
		"send no recipient":    func() error { _, err := c.SendEphemeralTo(ctx, "oc_1", Recipient{}, testCard); return err },
		"send blank recipient": func() error { _, err := c.SendEphemeralTo(ctx, "oc_1", Recipient{OpenID: " "}, testCard); return err },
		"send nil card":        func() error { _, err := c.SendEphemeral(ctx, "oc_1", "ou_1", nil); return err },
		"send string card":     func() error { _, err := c.SendEphemeral(ctx, "oc_1", "ou_1", `{"a":1}`); return err },
		"send empty card":      func() error { _, err := c.SendEphemeral(ctx, "oc_1", "ou_1", map[string]any{}); return err },
		"send template no id":  func() error { _, err := c.SendEphemeral(ctx, "oc_1", "ou_1", TemplateCard{}); return err },
		"delete no id":         func() error { return c.DeleteEphemeral(ctx, "") },
		"post no chat":         func() error { _, err := c.PostCard(ctx, "", testCard, "u"); return err },
		"post long uuid":       func() error { _, err := c.PostCard(ctx, "oc_1", testCard, strings.Repeat("u", 51)); return err },
		"update no id":         func() error { return c.UpdateCard(ctx, "", testCard) },
		"chat no id":           func() error { _, err := c.Chat(ctx, ""); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if Retryable(err) {
				t.Errorf("invalid argument reported retryable")
			}
		})
	}
	if n := len(f.allRequests()); n != 0 {
		t.Errorf("%d requests sent for invalid calls", n)
	}
}

// The one table of platform codes is consistent: a code the client refreshes
// the token for is transient, a chat-gone code is permanent, and IsChatGone
// and Retryable read the same entries whatever the HTTP status.
func TestPlatformCodeTable(t *testing.T) {
	for code, info := range platformCodes {
		if info.class != transient && info.class != permanent {
			t.Errorf("code %d: no retry class", code)
		}
		if info.tokenRejected && info.class != transient {
			t.Errorf("code %d: a rejected token is refreshed, so it must be transient", code)
		}
		if info.chatGone && info.class != permanent {
			t.Errorf("code %d: a chat out of reach must be permanent", code)
		}
		for _, status := range []int{200, 400, 500} {
			e := &APIError{Op: "x", HTTPStatus: status, Code: code}
			if got := e.Retryable(); got != (info.class == transient) {
				t.Errorf("code %d on %d: Retryable = %v", code, status, got)
			}
			if got := IsChatGone(fmt.Errorf("wrapped: %w", e)); got != info.chatGone {
				t.Errorf("code %d on %d: IsChatGone = %v", code, status, got)
			}
		}
	}
	if IsChatGone(errors.New("230002")) || IsChatGone(nil) {
		t.Error("IsChatGone of a non-API error")
	}
}
