package flows_test

import (
	"context"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// Acts, which the webhook asks before it claims a message, says yes
// exactly when HandleMessage starts something: a message it says no to is
// never claimed, so HandleMessage must do nothing for it; and a message it
// says yes to must reach HandleMessage.
func TestActsAgreesWithHandleMessage(t *testing.T) {
	msg := func(text, chatType, senderType string) flows.Message {
		m := flowtest.Message(text)
		m.ChatType, m.SenderType = chatType, senderType
		return m
	}
	tests := []struct {
		name string
		m    flows.Message
		acts bool
	}{
		{"a command", msg("/a Buy milk", "group", "user"), true},
		{"a command after mentions", msg("@_user_1 @_user_2 /a x", "group", "user"), true},
		{"full-width slash", msg("／a，买牛奶", "group", "user"), true},
		{"an unknown command, with a catch-all", msg("/nope", "group", "user"), true},
		{"in a direct chat", msg("/a x", flows.ChatModeP2P, "user"), true},
		{"a sender type left out", msg("/a x", "group", ""), true},
		{"plain chatter", msg("lunch at 12?", "group", "user"), false},
		{"Chinese chatter", msg("好的，我下午看一下", "group", "user"), false},
		{"a path", msg("/path/to/file is missing", "group", "user"), false},
		{"a slash alone", msg("/ typo", "group", "user"), false},
		{"a slash in a sentence", msg("and/or", "group", "user"), false},
		{"mentions only", msg("@_user_2", "group", "user"), false},
		{"an unknown chat type", msg("/a x", "topic_group", "user"), false},
		{"from an app", msg("/a x", "group", "app"), false},
	}
	for _, withCatchall := range []bool{true, false} {
		for _, tt := range tests {
			fs := []flows.Flow{bare{"a"}}
			want := tt.acts
			if withCatchall {
				fs = append(fs, catchall{bare{"help"}})
			} else if tt.name == "an unknown command, with a catch-all" {
				want = false // nobody answers it
			}
			v := flowtest.New(t, fs...)
			if got := v.E.Acts(tt.m); got != want {
				t.Errorf("%s (catch-all %v): Acts = %v, want %v", tt.name, withCatchall, got, want)
			}
			if err := v.E.HandleMessage(context.Background(), tt.m); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if started := len(v.Jobs.List()) > 0; started != want {
				t.Errorf("%s (catch-all %v): HandleMessage started something: %v, Acts says %v", tt.name, withCatchall, started, want)
			}
		}
	}
}
