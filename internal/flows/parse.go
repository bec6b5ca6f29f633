package flows

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is a chat command parsed from a message.
type Command struct {
	Name   string    // lower case, without the slash: "todo"
	Args   string    // the text after the name, mentions removed, whitespace collapsed
	People []Mention // members @mentioned after the command (never the bot), in order, each once, each a valid open_id
}

// Punctuation the parser tolerates. People typing Chinese write "／todo，买牛奶"
// with a full-width slash and comma; "/todo: buy milk" is the English habit.
const (
	slashes      = "/／"
	cjkPunct     = "，。：；！？、"
	afterCommand = cjkPunct + ",:;"
)

// ParseCommand finds a command in the text of a message, where every
// @mention is still its placeholder (@_user_1) and mentions maps the
// placeholders to members.
//
// A command starts the message, after any mentions: "@_user_1 /todo Buy
// milk @_user_2", with @_user_1 the bot, is todo with Args "Buy milk" and
// People [@_user_2]. Mentions before the command address the bot and are
// dropped; the bot's mentions anywhere are dropped. The name is ASCII
// letters, digits, '_' and '-', compared in lower case, and ends at a space,
// at punctuation, at Chinese text or at "@BotName" typed by hand; so "/"
// alone, "/path/to" and a slash inside a sentence are not commands.
func ParseCommand(text string, mentions []Mention, botOpenID string) (Command, bool) {
	pieces := splitMentions(text, mentions)

	// Skip what precedes the command: mentions and blanks.
	k := 0
	for k < len(pieces) && (pieces[k].mention != nil || isBlank(pieces[k].text)) {
		k++
	}

	// Put the rest back together with each mention as a space, collecting
	// the people mentioned.
	var cmd Command
	var rest strings.Builder
	seen := map[string]bool{}
	for _, p := range pieces[k:] {
		if p.mention == nil {
			rest.WriteString(p.text)
			continue
		}
		rest.WriteByte(' ')
		m := *p.mention
		// A mention without a valid open_id (@all has none) is nobody to
		// assign or remind; it never reaches a form or a card's <at>.
		if !isOpenID(m.OpenID) || m.OpenID == botOpenID || seen[m.OpenID] {
			continue
		}
		seen[m.OpenID] = true
		cmd.People = append(cmd.People, m)
	}

	s := strings.TrimLeftFunc(rest.String(), unicode.IsSpace)
	r, size := utf8.DecodeRuneInString(s)
	if !strings.ContainsRune(slashes, r) {
		return Command{}, false
	}
	s = s[size:]
	end := strings.IndexFunc(s, func(r rune) bool { return !isNameRune(r) })
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return Command{}, false
	}
	cmd.Name, s = strings.ToLower(s[:end]), s[end:]

	// What may follow the name: nothing, a space, punctuation, or "@BotName".
	r, _ = utf8.DecodeRuneInString(s)
	switch {
	case s == "", unicode.IsSpace(r), strings.ContainsRune(afterCommand, r), unicode.Is(unicode.Han, r):
		// Han right after the name is "/todo买牛奶", typed without a space.
	case r == '@':
		if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
	default:
		return Command{}, false
	}
	s = strings.TrimLeftFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(afterCommand, r)
	})
	s = strings.TrimFunc(s, IsArgTrim)
	cmd.Args = strings.Join(strings.Fields(s), " ")
	return cmd, true
}

// Acts reports whether HandleMessage would do anything for m: a command,
// from a person, in a kind of chat botd serves, that a flow (or the
// Catchall flow) takes. It reads nothing but m and the registered flows.
// The webhook asks before it claims a delivery: a message the engine does
// not act on needs no claim and no Redis round trip at all, since nothing
// happens for it, so nothing can happen twice; and most of what a bot with
// the all-messages scope receives is such chatter.
func (e *Engine) Acts(m Message) bool {
	_, _, ignored := e.command(m)
	return ignored == ""
}

// command returns the command m carries and the flow that takes it, or
// why HandleMessage ignores m ("" when it does not). HandleMessage and Acts
// both decide by it, so they cannot disagree.
func (e *Engine) command(m Message) (Command, Flow, string) {
	switch {
	case m.ChatType != "group" && m.ChatType != ChatModeP2P:
		return Command{}, nil, "unknown chat type"
	case m.SenderType != "" && m.SenderType != "user":
		return Command{}, nil, "not from a user"
	}
	cmd, ok := ParseCommand(m.Text, m.Mentions, e.deps.BotOpenID(m.TenantKey))
	if !ok {
		return Command{}, nil, "not a command"
	}
	if flow, ok := e.flows[cmd.Name]; ok {
		return cmd, flow, ""
	}
	// The Catchall flow answers unknown commands (/help, with a hint).
	if e.catchall != nil {
		return cmd, e.catchall, ""
	}
	return cmd, nil, "unknown command"
}

// piece is a run of text or one mention placeholder.
type piece struct {
	text    string
	mention *Mention
}

// splitMentions cuts text at its mention placeholders. At each '@' the
// longest matching key wins, so @_user_10 is never read as @_user_1 and "0".
func splitMentions(text string, mentions []Mention) []piece {
	byLen := make([]*Mention, 0, len(mentions))
	for i := range mentions {
		if mentions[i].Key != "" {
			byLen = append(byLen, &mentions[i])
		}
	}
	sort.SliceStable(byLen, func(i, j int) bool { return len(byLen[i].Key) > len(byLen[j].Key) })

	var pieces []piece
	start := 0
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		i += j
		var m *Mention
		for _, c := range byLen {
			if strings.HasPrefix(text[i:], c.Key) {
				m = c
				break
			}
		}
		if m == nil {
			i++
			continue
		}
		if start < i {
			pieces = append(pieces, piece{text: text[start:i]})
		}
		pieces = append(pieces, piece{mention: m})
		i += len(m.Key)
		start = i
	}
	if start < len(text) {
		pieces = append(pieces, piece{text: text[start:]})
	}
	return pieces
}

func isBlank(s string) bool { return strings.TrimFunc(s, unicode.IsSpace) == "" }

// isNameRune reports whether r may be part of a command name: ASCII letters,
// digits, '_' and '-'. ASCII only, so that Chinese text typed right after the
// name is read as its arguments.
func isNameRune(r rune) bool {
	return r == '_' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// IsArgTrim is what is cut from both ends of the arguments: spaces
// (full-width ones too) and Chinese punctuation, as in "买牛奶。".
func IsArgTrim(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(cjkPunct, r) }
