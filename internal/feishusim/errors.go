package feishusim

import (
	"fmt"
	"net/http"
)

// Platform codes the simulator answers with. The package comment says which
// of them are documented for the API that returns them and which are our
// choice for a case the docs leave open.
const (
	CodeOK = 0

	// Gateway and auth.
	CodeBadRequest       = 9499     // body not JSON, a field of the wrong JSON type, wrong Content-Type
	CodeFieldValidation  = 99992402 // a required field missing or out of range
	CodeRateLimited      = 99991400 // app tier (and ephemeral per-chat) rate limit, with HTTP 429
	CodeTokenMissing     = 99991661 // no Authorization header
	CodeTokenInvalid     = 99991663 // unknown or expired tenant_access_token
	CodeTokenBadFormat   = 99991671 // Authorization is not "Bearer t-..."
	CodeAppInvalid       = 10003    // tenant_access_token/internal: unknown app_id
	CodeAppSecretInvalid = 10014    // tenant_access_token/internal: wrong app_secret

	// A store app's auth (store.go). 10012 is the SDK's "app ticket
	// invalid"; the others are our choice.
	CodeAppTicketInvalid   = 10012    // app_access_token: no, a wrong or a stale app_ticket
	CodeTenantNotInstalled = 10013    // tenant_access_token: the app is not installed in that tenant
	CodeAppTypeInvalid     = 10015    // an endpoint of the other app type (store vs self-built)
	CodeAppTokenInvalid    = 99991664 // tenant_access_token: unknown or expired app_access_token

	// ephemeral/v1 (older message family).
	CodeBotNotInChat     = 10002 // also used for an unknown chat: the bot cannot tell them apart
	CodeUserNotInChat    = 11206
	CodeEphemeralDeleted = 18051
	CodeCardInvalid      = 11310 // a card that fails ValidateCard
	CodeCardTooLarge     = 19036 // card over 30 KB

	// im/v1/messages.
	CodeMsgBadParam     = 230001
	CodeMsgBotNotInChat = 230002
	CodeMsgRecalled     = 230011
	CodeMsgRateLimited  = 230020
	CodeMsgTooLong      = 230025
	CodeMsgCardInvalid  = 230099

	// im/v1/chats.
	CodeChatInvalid      = 232006 // unknown chat_id
	CodeChatBotNotMember = 232011 // the bot (the operator) is not in the chat
)

// apiError is a refusal: the HTTP status, the platform code and its msg.
// Header carries extras such as the x-ogw-ratelimit-* pair.
type apiError struct {
	Status int
	Code   int
	Msg    string
	Header map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %d %s", e.Status, e.Code, e.Msg) }

// refuse builds the usual refusal: the Open API answers business errors with
// HTTP 400 and the code in the body (observed on im/v1 and on the token API).
func refuse(code int, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Msg: fmt.Sprintf(format, args...)}
}

func badType(field string) *apiError {
	return refuse(CodeBadRequest, "Invalid parameter type in json: %s", field)
}

func missing(field string) *apiError {
	return refuse(CodeFieldValidation, "field validation failed: %s is required", field)
}
