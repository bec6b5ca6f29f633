package ephemeral

import (
	"context"
	"strings"
	"unicode/utf8"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

const (
	opMessageCreate = "message.create"
	opMessagePatch  = "message.patch"

	// maxUUIDLen is the platform's limit on the idempotency key of
	// im/v1/messages.
	maxUUIDLen = 50
)

// PostCard posts card to the whole chat (POST /open-apis/im/v1/messages) and
// returns its message id. Requests with the same non-empty uuid succeed at
// most once within an hour, so a retried job cannot post twice; uuid may be
// at most 50 characters. It satisfies flows.Sender.
func (c *Client) PostCard(ctx context.Context, chatID string, card any, uuid string) (string, error) {
	if strings.TrimSpace(chatID) == "" {
		return "", invalidf("%s: empty chat id", opMessageCreate)
	}
	return c.createCard(ctx, idTypeChatID, chatID, card, uuid)
}

// SendToUser sends card to one user in their one-to-one chat with the bot
// (POST /open-apis/im/v1/messages?receive_id_type=open_id), where private
// forms go from chats without ephemeral cards. uuid as for PostCard. It
// satisfies flows.Sender.
func (c *Client) SendToUser(ctx context.Context, openID string, card any, uuid string) (string, error) {
	if strings.TrimSpace(openID) == "" {
		return "", invalidf("%s: empty open_id", opMessageCreate)
	}
	return c.createCard(ctx, idTypeOpenID, openID, card, uuid)
}

// createCard posts an interactive message to receiveID, of idType.
func (c *Client) createCard(ctx context.Context, idType, receiveID string, card any, uuid string) (string, error) {
	if n := utf8.RuneCountInString(uuid); n > maxUUIDLen {
		return "", invalidf("%s: uuid has %d characters, at most %d allowed", opMessageCreate, n, maxUUIDLen)
	}
	content, err := cardJSON(card)
	if err != nil {
		return "", err
	}

	// Unlike the ephemeral API, content is the card JSON as a string.
	body := larkim.NewCreateMessageReqBodyBuilder().
		ReceiveId(receiveID).
		MsgType(msgTypeInteractive).
		Content(string(content))
	if uuid != "" {
		body.Uuid(uuid)
	}
	req := larkim.NewCreateMessageReqBuilder().
		ReceiveIdType(idType).
		Body(body.Build()).
		Build()

	var out *larkim.CreateMessageResp
	_, err = c.call(ctx, opMessageCreate, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.Im.Message.Create(ctx, req, opts...)
		if r == nil {
			return nil, err
		}
		out = r
		return r.ApiResp, err
	})
	if err != nil {
		return "", err
	}
	if out.Data == nil || out.Data.MessageId == nil || *out.Data.MessageId == "" {
		return "", &APIError{Op: opMessageCreate, HTTPStatus: out.StatusCode, LogID: out.LogId(), Msg: "no message_id in response"}
	}
	return *out.Data.MessageId, nil
}

// UpdateCard replaces a card the bot posted earlier
// (PATCH /open-apis/im/v1/messages/:message_id). The platform accepts it only
// for shared cards (config.update_multi true before and after), within 14
// days of sending, at most 5 times per second per message. Ephemeral cards
// cannot be updated this way: delete and send again. It satisfies flows.Sender.
func (c *Client) UpdateCard(ctx context.Context, messageID string, card any) error {
	if strings.TrimSpace(messageID) == "" {
		return invalidf("%s: empty message id", opMessagePatch)
	}
	content, err := cardJSON(card)
	if err != nil {
		return err
	}
	req := larkim.NewPatchMessageReqBuilder().
		MessageId(messageID).
		Body(larkim.NewPatchMessageReqBodyBuilder().Content(string(content)).Build()).
		Build()

	_, err = c.call(ctx, opMessagePatch, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.Im.Message.Patch(ctx, req, opts...)
		if r == nil {
			return nil, err
		}
		return r.ApiResp, err
	})
	return err
}
