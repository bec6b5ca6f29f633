// Package webhook receives what Feishu/Lark pushes to botd over HTTP: events
// (POST /webhook/event) and card callbacks (POST /webhook/card). It checks
// that each request really comes from the platform, decrypts it, drops
// duplicates and hands the result to the flows as a flows.Message or a
// flows.Action. It answers with the statuses fixed by docs/contract.md.
//
// In long-connection mode (BOTD_EVENT_MODE=websocket) the routes are not
// served: package longconn receives the same events and callbacks over the
// platform's WebSocket and hands each payload to Handler.Deliver, which runs
// the same pipeline from parsing on (the connection, not a signature, proves
// the origin), so de-duplication, flows and answers are the same in both
// modes.
//
// Every request runs the same pipeline, one file per step:
//
//	handler.go   Config, the Flows and Claims interfaces it needs, New
//	routes.go    method check, body cap (413), dispatch by kind, one writer for every answer
//	deliver.go   the entry point for the long connection: size, parsing, app_id, then dispatch
//	verify.go    signature over the raw body (SHA-256 with the Encrypt Key, or the
//	             legacy SHA-1 with the Verification Token), token, app_id (401)
//	timestamp.go X-Lark-Request-Timestamp: placed in time, inside the window (401)
//	decrypt.go   AES-256-CBC with strict PKCS#7 (400)
//	rotation.go  the previous Encrypt Key and Verification Token accepted during a change, and which one each request used
//	envelope.go  JSON parsing (the envelope and its event in one pass) and telling request kinds apart (400)
//	dedupe.go    claims on event_id / message_id / legacy signature (200 for duplicates)
//	event.go     im.message.receive_v1 → flows.Message
//	card.go      card.action.trigger and the legacy card format → flows.Action
//	tenant.go    a store app: each delivery's tenant_key into its context (400 without one),
//	             and the v1 app events app_ticket, app_uninstalled, app_open → the Config hooks
//	answer.go    callback answers (toast, card) and JSON writing
//	errors.go    refusals: the only place statuses other than 200 come from
//	calllog.go   a request's log fields, encoded only when a line is written
//	metrics.go   botd_webhook_requests_total{route,outcome}, botd_webhook_request_duration_seconds{route}
//	             (route is event, card, or longconn for deliveries over the long connection),
//	             botd_webhook_secret_used_total{secret,kind} (current or previous; encrypt_key or verification_token)
//
// The platform's SDK (oapi-sdk-go) is used for its models and, in tests, its
// signing and decryption helpers, but not for its HTTP handler: that handler
// answers 500 to client errors, checks the signature with == and the
// Verification Token only on url_verification, does not unpad, and dedupes
// nothing (feishu-platform.md §4.7).
//
// Decisions on points the platform documentation leaves open:
//
//   - The legacy card request URL format (§9.7) is off unless
//     Config.LegacyCardCallbacks (BOTD_LEGACY_CARD_CALLBACKS=on): it is
//     signed with the Verification Token alone, whatever the Encrypt Key, so
//     it lets whoever holds the token click as anyone. Off, a legacy action
//     and the legacy plaintext handshake are refused with 401.
//   - With an Encrypt Key configured, every request must be signed and
//     encrypted, except url_verification: whether the handshake carries
//     signature headers is unconfirmed (§4.3), so a handshake without the
//     three headers is accepted when its token matches, and logged. A
//     handshake whose headers are present but wrong is refused like anything
//     else. The legacy card handshake is always plaintext (§4.4), so, with
//     the legacy format on, an unsigned plaintext handshake on /webhook/card
//     is accepted on its token.
//   - A plaintext body while an Encrypt Key is configured is refused with 401:
//     the platform always encrypts then, so the request did not come from it.
//     An encrypted body while no key is configured is a 400 (it cannot be
//     decrypted). The legacy card format is exempt: it is signed with the
//     Verification Token and is usually plaintext (§9.7).
//   - A signature scheme must match the kind of request: a legacy (SHA-1,
//     token) signature only admits legacy card actions and handshakes on
//     /webhook/card, so knowing the Verification Token is never enough to
//     forge a v2 event when an Encrypt Key is set.
//   - The timestamp of a signed request must be placed in time: Unix
//     seconds (up to 11 digits), milliseconds (12 to 14), microseconds (15
//     to 17) or a Go time.String() value, the one odd shape reported
//     (§4.1); anything else, and anything outside ±TimestampWindow, is
//     refused with 401. ClaimTTL exceeds 2×TimestampWindow, the whole span
//     during which a request is accepted, so no replay outlives its claim
//     (timestamp.go has the reasoning). Without an Encrypt Key there is no
//     signature, hence no window (except for the legacy format, which is
//     always signed).
//   - A v2 envelope must have a header: without one it is a 400 once the
//     signature vouches for it, a 401 (no token) otherwise. When botd knows
//     its app id, header.app_id must equal it; an empty one is a 401.
//   - Ids read from events and callbacks (sender, operator and mentioned
//     open_ids, chat_id, message_id, app_id) must have the platform's shape
//     (package platformid): an event with a malformed one is a 400; a
//     callback, which must answer 200, gets an error toast; either way
//     nothing is claimed or handed over. A malformed event_id is a 400.
//   - What a request carries reaches the logs bounded: the request id is
//     the request-id middleware's (package requestid) or a safe platform
//     id, other values are truncated, so no log line grows with the request.
//   - A message the flows do not act on (chatter: not a command; see
//     MessageFilter) is answered 200 without a claim and without a Redis
//     round trip: nothing happens for it, so nothing can happen twice.
//   - Duplicates (event_id, and message_id for messages, which can come back
//     under a new event_id; the signature of a legacy callback, which has no
//     event_id) answer 200 and do nothing. When the flows fail, the claims
//     are released so that the platform's redelivery is handled, and events
//     answer 503. Callbacks always answer 200 with JSON once verified (a
//     non-200 shows the user error 200671): on failure, an error toast.
//   - A v2 event without header.event_id cannot be de-duplicated and is
//     refused with 400.
//   - During a change of the Encrypt Key or the Verification Token, the
//     previous one (Config.PreviousEncryptKey, PreviousVerificationToken) is
//     accepted too, after the current one. A v2 signature decides which key
//     decrypts the body it signs; an unsigned body is decrypted with the
//     current key, then the previous one, and a key is taken only if the
//     padding is valid and the plaintext parses. botd_webhook_secret_used_total
//     says which one each accepted request used (rotation.go).
package webhook
