package ephemeral

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

const (
	opChatGet     = "chat.get"
	opChatMembers = "chat.members"
	opBotInfo     = "bot.info"

	pathBotInfo = "/open-apis/bot/v3/info"
)

// Id types in query parameters. Spelt here rather than taken from the SDK,
// whose generated names for the same two strings change between versions
// (v3.5.4's ReceiveIdTypeChatId is v3.11.0's CreateMessageV1ReceiveIDTypeChatId).
const (
	idTypeOpenID = "open_id"
	idTypeChatID = "chat_id"
)

// Chat modes (Chat.Mode). Ephemeral cards work only in ChatModeGroup.
const (
	ChatModeGroup = "group" // normal group
	ChatModeTopic = "topic" // topic group: no ephemeral cards
	ChatModeP2P   = "p2p"   // one-to-one chat: no ephemeral cards
)

// Chat is what botd needs to know about a chat. User ids are open_ids.
type Chat struct {
	ID               string
	Mode             string   // chat_mode: ChatModeGroup, ChatModeTopic or ChatModeP2P
	GroupMessageType string   // "chat" or "thread" (normal groups only)
	OwnerID          string   // empty when the owner is a bot, and in p2p chats
	ManagerIDs       []string // human group managers (user_manager_id_list)
	Name             string
	Status           string // chat_status: "normal", "dissolved", "dissolved_save"
}

// SupportsEphemeral reports whether ephemeral cards can be sent to the chat.
func (ch *Chat) SupportsEphemeral() bool { return ch.Mode == ChatModeGroup }

// Chat reads a chat's mode, owner, managers and status
// (GET /open-apis/im/v1/chats/:chat_id?user_id_type=open_id). The bot must be
// in the chat to see all of it. Callers should cache the answer briefly.
func (c *Client) Chat(ctx context.Context, chatID string) (*Chat, error) {
	if strings.TrimSpace(chatID) == "" {
		return nil, invalidf("%s: empty chat id", opChatGet)
	}
	req := larkim.NewGetChatReqBuilder().
		ChatId(chatID).
		UserIdType(idTypeOpenID).
		Build()

	var out *larkim.GetChatResp
	_, err := c.call(ctx, opChatGet, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.Im.Chat.Get(ctx, req, opts...)
		if r == nil {
			return nil, err
		}
		out = r
		return r.ApiResp, err
	})
	if err != nil {
		return nil, err
	}
	d := out.Data
	if d == nil {
		return nil, &APIError{Op: opChatGet, HTTPStatus: out.StatusCode, LogID: out.LogId(), Msg: "no data in response"}
	}
	return &Chat{
		ID:               chatID,
		Mode:             deref(d.ChatMode),
		GroupMessageType: deref(d.GroupMessageType),
		OwnerID:          deref(d.OwnerId),
		ManagerIDs:       d.UserManagerIdList,
		Name:             deref(d.Name),
		Status:           deref(d.ChatStatus),
	}, nil
}

// MemberPageSize is how many members ChatMembers asks for per page: the
// most the platform allows, so that a walk over a big chat makes the fewest
// calls.
const MemberPageSize = 100

// MemberPage is one page of a chat's member list.
type MemberPage struct {
	// OpenIDs are the human members on this page. The platform leaves bots
	// out, so a page may hold fewer than asked for (or more, when members
	// joined at the same moment).
	OpenIDs   []string
	HasMore   bool
	PageToken string // the next page's token when HasMore
}

// ChatMembers reads one page of a chat's members
// (GET /open-apis/im/v1/chats/:chat_id/members?member_id_type=open_id),
// from the first page when pageToken is empty. The bot must be in the chat.
//
// This, not GET .../members/is_in_chat, is how botd learns whether someone
// is in a chat: is_in_chat answers for the identity of the access token
// (with the tenant token: the bot itself) and takes no member to ask about.
func (c *Client) ChatMembers(ctx context.Context, chatID, pageToken string) (*MemberPage, error) {
	if strings.TrimSpace(chatID) == "" {
		return nil, invalidf("%s: empty chat id", opChatMembers)
	}
	b := larkim.NewGetChatMembersReqBuilder().
		ChatId(chatID).
		MemberIdType(idTypeOpenID).
		PageSize(MemberPageSize)
	if pageToken != "" {
		b = b.PageToken(pageToken)
	}
	req := b.Build()

	var out *larkim.GetChatMembersResp
	_, err := c.call(ctx, opChatMembers, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.Im.ChatMembers.Get(ctx, req, opts...)
		if r == nil {
			return nil, err
		}
		out = r
		return r.ApiResp, err
	})
	if err != nil {
		return nil, err
	}
	d := out.Data
	if d == nil {
		return nil, &APIError{Op: opChatMembers, HTTPStatus: out.StatusCode, LogID: out.LogId(), Msg: "no data in response"}
	}
	page := &MemberPage{HasMore: d.HasMore != nil && *d.HasMore, PageToken: deref(d.PageToken)}
	for _, m := range d.Items {
		if m == nil || deref(m.MemberId) == "" {
			continue
		}
		if t := deref(m.MemberIdType); t != "" && t != idTypeOpenID {
			continue // not what was asked for: never compare another kind of id with an open_id
		}
		page.OpenIDs = append(page.OpenIDs, *m.MemberId)
	}
	if page.HasMore && page.PageToken == "" {
		// Walking on would start over at the first page, forever.
		return nil, &APIError{Op: opChatMembers, HTTPStatus: out.StatusCode, LogID: out.LogId(), Msg: "has_more without a page_token"}
	}
	return page, nil
}

// BotOpenID returns the bot's own open_id (GET /open-apis/bot/v3/info), used
// to recognise mentions of the bot. The answer is cached for the life of the
// Client: it never changes for an app. A store app's is asked for and cached
// per tenant (ctx's): whether it differs between tenants is not documented,
// and asking each tenant once costs little.
func (c *Client) BotOpenID(ctx context.Context) (string, error) {
	var ten string
	if c.store != nil {
		var err error
		if ten, err = tenantOf(ctx); err != nil {
			return "", fmt.Errorf("%s: %w", opBotInfo, err)
		}
	}
	c.botMu.Lock()
	id := c.botOpenID
	if c.store != nil {
		id = c.botByTen[ten]
	}
	c.botMu.Unlock()
	if id != "" {
		return id, nil
	}

	resp, err := c.call(ctx, opBotInfo, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		return c.sdk.Get(ctx, pathBotInfo, nil, larkcore.AccessTokenTypeTenant, opts...)
	})
	if err != nil {
		return "", err
	}
	// This older API answers under "bot", not "data".
	var out struct {
		Bot struct {
			OpenID string `json:"open_id"`
		} `json:"bot"`
	}
	if err := json.Unmarshal(resp.RawBody, &out); err != nil || out.Bot.OpenID == "" {
		return "", &APIError{Op: opBotInfo, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no bot.open_id in response"}
	}

	c.botMu.Lock()
	if c.store != nil {
		if c.botByTen == nil || len(c.botByTen) >= maxTenantSources {
			c.botByTen = map[string]string{}
		}
		c.botByTen[ten] = out.Bot.OpenID
	} else {
		c.botOpenID = out.Bot.OpenID
	}
	c.botMu.Unlock()
	return out.Bot.OpenID, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
