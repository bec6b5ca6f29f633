package main

import (
	"fmt"

	"github.com/botd/botd/internal/feishusim"
)

// chatterLines are what a group says between commands, as a bot with the
// all-messages scope (im:message.group_msg) receives it: plain text in
// both languages, people @mentioned, links, and slashes that are not
// commands ("/path/to", "and/or", a slash alone). botd must answer each
// with 200 and do nothing else. %d is the event's index, so every message
// is different (as chat is) and can be told apart.
var chatterLines = []struct {
	text    string
	mention bool // @mentions another member of the chat (never the bot)
}{
	{"lunch at 12? (%d)", false},
	{"好的，我下午看一下，谢谢 %d", false},
	{"@_user_1 can you check the build when you have a minute? #%d", true},
	{"the deploy is green, shipping it and/or rolling back later #%d", false},
	{"see https://example.com/docs/page-%d for the details", false},
	{"/path/to/config.yaml is missing on staging (%d)", false},
	{"/ that slash was a typo %d", false},
	{"明天 9:00 开会，@_user_1 记得带电脑 %d", true},
}

// chatterEvent prepares the i-th plain message from the i-th member slot,
// spread over chats and users like todoEvent. It takes a tag only to have
// todoEvent's shape: nothing botd sends is matched to chatter, since there
// must be nothing.
func (w *world) chatterEvent(_ tag, i int) (prepared, error) {
	chat, user := w.member(i, i/len(w.chatIDs))
	line := chatterLines[i%len(chatterLines)]
	o := feishusim.MessageOpts{ChatID: chat, ChatType: "group", SenderOpenID: user,
		Text: fmt.Sprintf(line.text, i)}
	if line.mention {
		_, other := w.member(i, i/len(w.chatIDs)+1)
		o.Mentions = []feishusim.Mention{{Key: "@_user_1", OpenID: other, Name: "Load Member"}}
	}
	return w.prep.text(o)
}
