package flows

import (
	"reflect"
	"testing"
)

func TestParseCommand(t *testing.T) {
	bot := Mention{Key: "@_user_1", OpenID: botID, Name: "TodoBot"}
	bob := Mention{Key: "@_user_2", OpenID: bobID, Name: "Bob"}
	ann := Mention{Key: "@_user_10", OpenID: "ou_ann", Name: "Ann"}
	mentions := []Mention{bot, bob, ann}

	tests := []struct {
		name   string
		text   string
		want   Command
		wantOK bool
	}{
		{"bot, command, person", "@_user_1 /todo Buy milk @_user_2", Command{"todo", "Buy milk", []Mention{bob}}, true},
		{"worked example", "@_user_1 /todo Buy milk tomorrow", Command{"todo", "Buy milk tomorrow", nil}, true},
		{"no mention", "/todo Buy milk", Command{"todo", "Buy milk", nil}, true},
		{"name only", "/help", Command{"help", "", nil}, true},
		{"upper case", "/TODO Buy Milk", Command{"todo", "Buy Milk", nil}, true},
		{"surrounding spaces", "  \t/todo   Buy \n milk  ", Command{"todo", "Buy milk", nil}, true},
		{"full-width slash and comma", "／todo，买牛奶", Command{"todo", "买牛奶", nil}, true},
		{"full-width spaces", "\u3000／todo\u3000买牛奶\u3000明天\u3000", Command{"todo", "买牛奶 明天", nil}, true},
		{"chinese colon and full stop", "/todo：买牛奶。", Command{"todo", "买牛奶", nil}, true},
		{"chinese right after the name", "/todo买牛奶", Command{"todo", "买牛奶", nil}, true},
		{"chinese punctuation around mention", "@_user_1 ／todo 买牛奶，@_user_2！", Command{"todo", "买牛奶", []Mention{bob}}, true},
		{"ascii colon", "/todo: Buy milk", Command{"todo", "Buy milk", nil}, true},
		{"ascii punctuation kept at the end", "/todo Fix it!", Command{"todo", "Fix it!", nil}, true},
		{"bot name typed by hand", "/todo@TodoBot Buy milk", Command{"todo", "Buy milk", nil}, true},
		{"bot mention glued to the name", "/todo@_user_1 Buy milk", Command{"todo", "Buy milk", nil}, true},
		{"person glued to the name", "/todo@_user_2 Buy milk", Command{"todo", "Buy milk", []Mention{bob}}, true},
		{"bot mention in the middle", "/todo Buy @_user_1 milk", Command{"todo", "Buy milk", nil}, true},
		{"person first", "/todo @_user_2 Buy milk", Command{"todo", "Buy milk", []Mention{bob}}, true},
		{"several people, each once, in order", "/todo x @_user_10 @_user_2 @_user_10", Command{"todo", "x", []Mention{ann, bob}}, true},
		{"longest key wins", "/todo call @_user_10", Command{"todo", "call", []Mention{ann}}, true},
		{"leading person is dropped", "@_user_2 /todo x", Command{"todo", "x", nil}, true},
		{"unknown placeholder stays text", "/todo ping @_user_9", Command{"todo", "ping @_user_9", nil}, true},
		{"dash and digits in the name", "/to-do2 x", Command{"to-do2", "x", nil}, true},

		{"plain text", "Buy milk", Command{}, false},
		{"empty", "", Command{}, false},
		{"mentions only", "@_user_1 @_user_2", Command{}, false},
		{"slash alone", "/", Command{}, false},
		{"slash and space", "/ todo", Command{}, false},
		{"path", "/path/to/file", Command{}, false},
		{"file name", "/todo.txt", Command{}, false},
		{"slash mid-sentence", "see /todo later", Command{}, false},
		{"url", "https://example.com/todo", Command{}, false},
		{"mention then text then command", "@_user_1 hi /todo x", Command{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseCommand(tt.text, mentions, botID)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, %v", tt.text, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// Before the bot's open_id is known, its leading mention is still dropped,
// so it is never taken for the assignee.
func TestParseCommandBotUnknown(t *testing.T) {
	mentions := []Mention{{Key: "@_user_1", OpenID: botID}, {Key: "@_user_2", OpenID: bobID}}
	got, ok := ParseCommand("@_user_1 /todo x @_user_2", mentions, "")
	if !ok || got.Name != "todo" || len(got.People) != 1 || got.People[0].OpenID != bobID {
		t.Errorf("got %+v, %v; want todo with people [Bob]", got, ok)
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add("@_user_1 /todo Buy milk @_user_2")
	f.Add("／todo，买牛奶")
	f.Add("/todo@Bot x")
	mentions := []Mention{{Key: "@_user_1", OpenID: botID}, {Key: "@_user_2", OpenID: bobID}}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok := ParseCommand(text, mentions, botID)
		if !ok {
			return
		}
		if cmd.Name == "" {
			t.Errorf("ParseCommand(%q): command with an empty name", text)
		}
		for _, p := range cmd.People {
			if p.OpenID == botID {
				t.Errorf("ParseCommand(%q): the bot among the people", text)
			}
		}
	})
}

// Ids of the worked examples of docs/feishu-platform.md §14 (the same as
// flowtest's).
const (
	botID = "ou_7d8a6e6df7621556ce0d21922b676706"
	bobID = "ou_0b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"
)
