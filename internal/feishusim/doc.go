// Package feishusim is a strict simulator of the part of the Feishu/Lark Open
// Platform that botd uses, for end-to-end tests, the load tool and the
// playground. It has two halves:
//
//   - Server (New) is the Open API as seen by botd: tenant_access_token
//     (and a store app's app_ticket, app_access_token and per-tenant token),
//     ephemeral/v1/send and /delete, im/v1/messages create and PATCH,
//     im/v1/chats/{id} with its member list and is_in_chat, and
//     bot/v3/info. It enforces what the official pages and
//     docs/feishu-platform.md say (auth, Content-Type, field types, chat
//     mode and membership, card rules via ValidateCard, uuid idempotency,
//     size and rate limits) and records every call (Calls, Subscribe) and the
//     world it leads to (Ephemerals, Messages).
//   - Platform is the platform's sending side: it builds real event and card
//     callback payloads, encrypts (Encrypt) and signs (Sign, SignLegacy) them
//     and POSTs them to botd's webhooks, including deliberately bad requests.
//     With Platform.LongConn set it delivers them over the long connection
//     instead.
//   - LongConn (Server.LongConn) is the platform's side of the long
//     connection (feishu-platform.md §5), spoken as the SDK's ws client
//     expects it: POST /callback/ws/endpoint checks the app's credentials
//     and hands out a one-time WebSocket URL and a ClientConfig; on the
//     socket, pbbp2 frames (the SDK's ws.Frame): pings answered with pongs
//     carrying the ClientConfig, each delivery to one connection chosen at
//     random, in fragments (headers sum, seq) when it is long, and
//     acknowledged by the client on a frame with the same message_id within
//     3 s (code 200, or 500 for "deliver again"). It can cut every
//     connection (DropAll) and go half-open (HalfOpen: the socket stays up,
//     nothing passes either way), refuses more than 50 connections, a wrong
//     secret or a reused URL as the SDK expects (codes 514, 1000040350,
//     403), and closes a connection that breaks the protocol.
//
// Tenants (tenants.go): chats, users, messages and ephemeral cards belong
// to a tenant, and two tenants may use the same chat ids and open_ids for
// different things. A tenant_access_token is bound to its tenant: a call
// with it sees that tenant's world only, and another tenant's chat or
// message is answered as one that does not exist. The methods without a
// tenant (AddChat, Chat, AddMember, IssueAuthCode, …) act on the default
// tenant, Options.TenantKey; Tenant(key) is the same API for any tenant.
// Rate limits are counted per tenant, as the platform counts them.
//
// App types (store.go): a self-built app (the default) gets its one
// tenant's token from tenant_access_token/internal. A store app
// (Options.AppType AppTypeStore) gets an app_access_token for the
// app_ticket the platform pushed, and a tenant_access_token per installed
// tenant for it; asking app_ticket/resend makes the simulator push a new
// ticket as the v1 event app_ticket to the Platform given to SetPlatform
// (after Options.AppTicketDelay; or only when PushAppTicket is called).
// UninstallTenant and InstallTenant push app_uninstalled and app_open.
// Each app type is refused the other's endpoints, and a store app the long
// connection.
//
// The point is to fail where the platform would fail, so a refusal here is a
// bug in the client unless one of the assumptions below is wrong.
//
// # Assumptions where the docs are silent
//
// HTTP status: every refusal is HTTP 400 with the code in the body (observed
// for im/v1 and the token API), except rate limits of the API gateway (HTTP
// 429, code 99991400, headers x-ogw-ratelimit-limit and -reset) and unknown
// routes (404, code 404). Every answer is JSON and carries X-Tt-Logid.
//
// Codes chosen for undocumented cases:
//
//	any API          body not JSON or a field of the wrong JSON type     9499 "Invalid parameter type in json: <field>"
//	                 (e.g. ephemeral card as a string, im/v1 content as an object)
//	                 Content-Type other than application/json; charset=utf-8   9499
//	                 required field missing, bad enum value, uuid > 50 chars   99992402
//	store auth       see store.go: 10012 stale/wrong app_ticket, 10013 tenant
//	                 not installed, 10015 the other app type's endpoint,
//	                 99991664 unknown app_access_token
//	auth             no Authorization header                              99991661
//	                 not "Bearer <token>"                                 99991671
//	                 token not issued here, or expired                    99991663
//	token API        unknown app_id / wrong app_secret                    10003 / 10014
//	ephemeral send   unknown chat, or the bot not in it                   10002
//	                 chat_mode topic or p2p                               99992402 (msg names the chat_mode)
//	                 viewer not in the chat, or user_id/email unknown     11206
//	                 card fails ValidateCard                              11310 (msg lists the problems)
//	                 card over 30 KB (the limit of im/v1, applied here)   19036
//	                 over 40/s for one chat                               99991400, HTTP 429
//	ephemeral delete unknown message_id                                   99992402
//	                 already deleted (documented)                         18051
//	im/v1 messages   unknown chat                                         230001
//	                 card fails ValidateCard                              230099, msg "ErrCode: <sub-code>" (200861, 200530 or 11310)
//	                 PATCH: unknown id, another app's message, not a card,
//	                 older than 14 days, an ephemeral card's id           230001
//	                 PATCH: old or new card not shared (update_multi)      230099
//	chats            unknown chat / bot not in it                         232006 / 232011
//	chat members     malformed chat_id, bad page_size, member_id_type or
//	                 page_token                                           99992402
//	                 unknown chat / bot not in it                         232006 / 232011
//
// Other choices: a repeated uuid within an hour answers code 0 with the first
// message and posts nothing (the Call is marked Duplicate). Rate limits use
// fixed windows on the simulator clock (see ratelimit.go). Ephemeral card
// viewers are resolved open_id > user_id > email with no fallback from a
// field that names nobody. PATCH is refused for ephemeral cards, which
// document only send and delete. Cards: unpadded dates ("2002-2-22", seen in
// an old Lark sample) are refused because the component docs specify
// yyyy-MM-dd; "note" is accepted in JSON 2.0; the nesting limit counts
// containers but not a column inside its column_set.
//
// Long connection: the endpoint answers refusals with HTTP 200 and a code;
// a silent client is dropped after twice the ping interval plus 5 s (the
// SDK's own read deadline, applied by the platform too); fragments are 16 KiB
// and 20 ms apart (see LongConnOptions.FragmentGap for why); a delivery's
// frame message_id is new for every attempt, also for a redelivery of the
// same event. The platform's own values for these are not documented.
//
// Platform: events carry X-Lark-Request-Timestamp in Unix seconds; without
// an EncryptKey the body is plaintext and no X-Lark-Signature is sent;
// create_time is in milliseconds for messages and microseconds for card
// callbacks, as the documented examples show.
package feishusim
