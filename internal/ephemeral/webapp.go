package ephemeral

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

// The web app's calls (docs/feishu-platform.md §13): the JSSDK ticket the
// page's h5sdk.config is signed with, and the password-less login (a code
// from tt.requestAccess exchanged for a user access token, then the user's
// identity). None of them is retried here; the user token is used once and
// never kept, logged or returned in an error.

const (
	opJSAPITicket = "jssdk.ticket"
	opOAuthToken  = "authen.oauth_token"
	opUserInfo    = "authen.user_info"

	pathJSAPITicket = "/open-apis/jssdk/ticket/get"
	pathOAuthToken  = "/open-apis/authen/v2/oauth/token"
	pathUserInfo    = "/open-apis/authen/v1/user_info"

	// maxAuthCode bounds a code from the page before it is sent on.
	maxAuthCode = 512
)

// JSAPITicket is a jsapi_ticket and how long the platform says it lives.
type JSAPITicket struct {
	Ticket   string
	ExpireIn time.Duration
}

// JSAPITicket fetches a jsapi_ticket (POST /open-apis/jssdk/ticket/get with
// the tenant token). Callers cache it: it is valid for expire_in seconds and
// must not be fetched per page view.
func (c *Client) JSAPITicket(ctx context.Context) (*JSAPITicket, error) {
	resp, err := c.call(ctx, opJSAPITicket, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		return c.sdk.Post(ctx, pathJSAPITicket, map[string]any{}, larkcore.AccessTokenTypeTenant, opts...)
	})
	if err != nil {
		return nil, err
	}
	var out struct {
		Data struct {
			Ticket   string `json:"ticket"`
			ExpireIn int64  `json:"expire_in"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.RawBody, &out); err != nil || out.Data.Ticket == "" || out.Data.ExpireIn <= 0 {
		return nil, &APIError{Op: opJSAPITicket, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no ticket or expire_in in response"}
	}
	return &JSAPITicket{Ticket: out.Data.Ticket, ExpireIn: time.Duration(out.Data.ExpireIn) * time.Second}, nil
}

// WebUser is the member a login code belongs to.
type WebUser struct {
	OpenID    string
	TenantKey string
	Name      string
	EnName    string
	AvatarURL string
}

// UserFromCode exchanges a tt.requestAccess (or tt.requestAuthCode) code
// for a user access token (POST /open-apis/authen/v2/oauth/token) and reads
// who it belongs to (GET /open-apis/authen/v1/user_info). A bad, expired or
// reused code is an *APIError whose NotApplied is true.
func (c *Client) UserFromCode(ctx context.Context, code string) (*WebUser, error) {
	if code == "" || len(code) > maxAuthCode || strings.ContainsAny(code, " \t\r\n") {
		return nil, invalidf("%s: bad code", opOAuthToken)
	}
	tok, err := c.exchangeCode(ctx, code)
	if err != nil {
		c.logFailure(err, 0)
		return nil, err
	}
	resp, apiErr := c.attempt(ctx, opUserInfo, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		return c.sdk.Get(ctx, pathUserInfo, nil, larkcore.AccessTokenTypeUser, opts...)
	}, larkcore.WithUserAccessToken(tok))
	if apiErr != nil {
		c.logFailure(apiErr, 0)
		return nil, apiErr
	}
	var out struct {
		Data struct {
			OpenID    string `json:"open_id"`
			TenantKey string `json:"tenant_key"`
			Name      string `json:"name"`
			EnName    string `json:"en_name"`
			AvatarURL string `json:"avatar_url"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.RawBody, &out); err != nil || out.Data.OpenID == "" || out.Data.TenantKey == "" {
		return nil, &APIError{Op: opUserInfo, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no open_id or tenant_key in response"}
	}
	d := out.Data
	return &WebUser{OpenID: d.OpenID, TenantKey: d.TenantKey, Name: d.Name, EnName: d.EnName, AvatarURL: d.AvatarURL}, nil
}

// maxOAuthAnswer bounds the code exchange's answer (a few hundred bytes).
const maxOAuthAnswer = 64 << 10

// exchangeCode is the OAuth v2 code exchange. It carries the app's
// credentials in the body, not a token, and answers flat, with "error" a
// string on failure (OAuth style) rather than the usual object. The SDK
// (v3.11.0) fails to decode such an answer and hides its code, so the
// request is made here directly.
func (c *Client) exchangeCode(ctx context.Context, code string) (string, *APIError) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body, _ := json.Marshal(map[string]string{
		"grant_type":    "authorization_code",
		"client_id":     c.appID,
		"client_secret": c.appSecret,
		"code":          code,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+pathOAuthToken, bytes.NewReader(body))
	if err != nil {
		return "", &APIError{Op: opOAuthToken, Msg: "request not sent", Err: err}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := c.http.Do(req)
	if err != nil {
		// The error names the URL, never the body with the secret.
		return "", &APIError{Op: opOAuthToken, Err: err, network: true}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxOAuthAnswer))
	e := &APIError{Op: opOAuthToken, HTTPStatus: resp.StatusCode, LogID: logID(resp.Header), RetryAfter: retryAfter(resp.Header)}
	if err != nil {
		e.Err, e.network = err, true
		return "", e
	}
	var out struct {
		Code        *int            `json:"code"`
		Msg         string          `json:"msg"`
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
		AccessToken string          `json:"access_token"`
	}
	if jerr := json.Unmarshal(raw, &out); jerr != nil || out.Code == nil {
		e.Msg = http.StatusText(resp.StatusCode)
		if resp.StatusCode/100 == 2 {
			e.Msg = "response has no code"
		}
		return "", e
	}
	if *out.Code != codeOK || resp.StatusCode/100 != 2 {
		e.Code, e.Msg = *out.Code, out.Msg
		if e.Msg == "" {
			e.Msg = out.Description
		}
		return "", e
	}
	if out.AccessToken == "" {
		e.Msg = "no access_token in response"
		return "", e
	}
	return out.AccessToken, nil
}
