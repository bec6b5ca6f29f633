package longconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// The wait doubles from min to max, is never above max nor below half the
// current step (never zero), varies from one call to the next (jitter), and
// starts over after reset.
func TestBackoffBoundedAndJittered(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: 2 * time.Second}
	steps := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000}
	for i, step := range steps {
		step *= time.Millisecond
		if d := b.next(); d < step/2 || d > step {
			t.Fatalf("wait %d = %v, want within [%v, %v]", i, d, step/2, step)
		}
	}
	for range 1000 { // far past any shift overflow
		if d := b.next(); d < time.Second || d > 2*time.Second {
			t.Fatalf("capped wait %v, want within [1s, 2s]", d)
		}
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[b.next()] = true
	}
	if len(seen) < 10 {
		t.Fatalf("%d distinct waits in 50: no jitter", len(seen))
	}
	b.reset()
	if d := b.next(); d > 100*time.Millisecond {
		t.Fatalf("after reset: %v", d)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestReasonOf(t *testing.T) {
	for _, tc := range []struct {
		err   error
		wasUp bool
		want  string
	}{
		{fmt.Errorf("read: %w", timeoutErr{}), true, ReasonTimeout},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, true, ReasonTimeout},
		{errors.New("websocket: close 1006 (abnormal closure): unexpected EOF"), true, ReasonClosed},
		{nil, true, ReasonClosed},
		{larkws.NewClientError(514, "auth failed"), false, ReasonRefused},
		{larkws.NewServerError(1, "system busy"), false, ReasonUnavailable},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, false, ReasonNetwork},
		{context.DeadlineExceeded, false, ReasonNetwork},
	} {
		if got := reasonOf(tc.err, tc.wasUp); got != tc.want {
			t.Errorf("reasonOf(%v, up=%v) = %s, want %s", tc.err, tc.wasUp, got, tc.want)
		}
	}
}

// A WebSocket URL's query (its ticket or access key) never reaches a log
// line, and a line is bounded.
func TestSafeText(t *testing.T) {
	got := safeText(`dial "wss://msg-frontier.feishu.cn/ws/v2?device_id=1&access_key=SECRET&ticket=T": refused`)
	if got != `dial "wss://msg-frontier.feishu.cn/ws/v2?…": refused` {
		t.Fatalf("safeText = %s", got)
	}
	if n := len(safeText(string(make([]byte, 10000)))); n > maxLogged+len("…") {
		t.Fatalf("line of %d bytes", n)
	}
}
