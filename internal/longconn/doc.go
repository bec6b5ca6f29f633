// Package longconn receives events and card callbacks over the platform's
// long connection (BOTD_EVENT_MODE=websocket): botd dials out, so it needs no
// public URL, no tunnel and no reverse proxy. The platform offers this mode
// to self-built apps only (feishu-platform.md §5).
//
// The connection is the SDK's ws client (oapi-sdk-go v3.11.0, which can be
// stopped and notices a silent socket through its read deadline). Its
// dispatcher hands each payload, raw, to botd's own pipeline
// (webhook.Handler.Deliver): the same de-duplication, flows and jobs as the
// webhook routes. A frame is acknowledged (code 200) only once Deliver says
// the work is durably queued; on a refusal the SDK answers 500 and the
// platform delivers the event again. A callback's answer goes back on its
// frame, within AnswerBudget of its arrival (the platform waits 3 s).
//
// Reconnecting is botd's, not the SDK's: the SDK's own loop waits a fixed
// interval the platform sets (2 min by default) and cannot say why a
// connection ended. Here every end of a connection is classified (reason),
// counted (botd_longconn_reconnects_total{reason}), logged, and followed by
// a jittered, bounded back-off; botd_longconn_connected is 1 while a
// connection is up, and Connected feeds /readyz.
//
// Several replicas each hold a connection (at most 50 per app); the
// platform delivers each event to one of them.
//
// Files:
//
//	receiver.go  Config, New, Start, Stop, Connected and the connect loop
//	deliver.go   the dispatcher's handlers, the in-flight gate and the drain
//	backoff.go   the jittered, bounded back-off
//	reason.go    why a connection ended, as a metric label
//	metrics.go   botd_longconn_connected, botd_longconn_reconnects_total{reason}
//	sdklog.go    the SDK's log lines, into zap
package longconn
