package feishusim

import (
	"crypto/sha1" //nolint:gosec // the JSSDK signature is SHA-1 by the platform's definition
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// The client's side of the web app (docs/feishu-platform.md §13), for a
// simulated Feishu/Lark client such as the playground's: what the client
// checks when a page calls h5sdk.config, and the chats its pickers offer.
// Read-only: nothing here changes the simulator's state.

// Why h5sdk.config fails. The real client reports these as an onFail with
// an errMsg; the exact codes are not documented.
var (
	// ErrConfigNoTicket: no jsapi_ticket is current: the app never fetched
	// one (POST /open-apis/jssdk/ticket/get) or it expired.
	ErrConfigNoTicket = errors.New("feishusim: no current jsapi_ticket: the app never fetched one, or it expired")
	// ErrConfigWrongApp: the appId is not the simulated app's.
	ErrConfigWrongApp = errors.New("feishusim: appId is not this app's")
	// ErrConfigBadSignature: the signature is not the one the current
	// ticket gives for this page URL, nonce and timestamp.
	ErrConfigBadSignature = errors.New("feishusim: signature does not match the jsapi_ticket for this url, nonceStr and timestamp")
	// ErrConfigMissing: a required field of the config is empty.
	ErrConfigMissing = errors.New("feishusim: appId, timestamp, nonceStr and signature are required")
)

// JSSDKSignature is the signature the client expects (§13.1): the lowercase
// hex SHA-1 of "jsapi_ticket=T&noncestr=N&timestamp=TS&url=URL". It is
// computed here independently of botd's signer, so a test of one against
// the other means something.
func JSSDKSignature(ticket, nonceStr string, timestampMS int64, pageURL string) string {
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonceStr +
		"&timestamp=" + strconv.FormatInt(timestampMS, 10) + "&url=" + pageURL))
	return hex.EncodeToString(sum[:])
}

// VerifyJSSDKConfig is the client's check of h5sdk.config: the signature
// must be the current jsapi_ticket's for the page the client shows
// (pageURL, which the client takes from its own address bar, fragment
// dropped here as the platform does). nil means config succeeds.
//
// Whether the real client also bounds the timestamp's age is not
// documented; it is not checked.
func (s *Server) VerifyJSSDKConfig(appID string, timestampMS int64, nonceStr, pageURL, signature string) error {
	return s.defaultTenant().VerifyJSSDKConfig(appID, timestampMS, nonceStr, pageURL, signature)
}

// VerifyJSSDKConfig is Server.VerifyJSSDKConfig for a client of this
// tenant: the signature must be over this tenant's jsapi_ticket.
func (t *Tenant) VerifyJSSDKConfig(appID string, timestampMS int64, nonceStr, pageURL, signature string) error {
	if appID == "" || timestampMS == 0 || nonceStr == "" || signature == "" {
		return ErrConfigMissing
	}
	if appID != t.s.opts.AppID {
		return ErrConfigWrongApp
	}
	ticket := t.JSAPITicket()
	if ticket == "" {
		return ErrConfigNoTicket
	}
	pageURL, _, _ = strings.Cut(pageURL, "#")
	want := JSSDKSignature(ticket, nonceStr, timestampMS, pageURL)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return ErrConfigBadSignature
	}
	return nil
}

// UserChats returns copies of the chats openID is a member of, sorted by
// name then id: what the client's chat picker offers (tt.sendMessageCard
// with shouldChooseChat). Whether the bot must be in a chat for a card the
// member sends there is not documented, so the bot's membership is left to
// ClientSendMessageCard to judge.
func (s *Server) UserChats(openID string) []Chat { return s.defaultTenant().UserChats(openID) }

// UserChats is Server.UserChats among this tenant's chats.
func (t *Tenant) UserChats(openID string) []Chat {
	s := t.s
	s.mu.Lock()
	var out []Chat
	for _, c := range s.tenantLocked(t.key).chats {
		if slices.Contains(c.Members, openID) {
			out = append(out, copyChat(c))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Chat) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
