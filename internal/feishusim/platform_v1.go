package feishusim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The platform's v1 (schema 1.0) events a store app receives about itself.
// Their shapes are those of the feishu docs' examples and the SDK's models
// (oapi-sdk-go v3.11.0 event/dispatcher/appticket_handler.go,
// service/application/v6/ext_model.go):
//
//	{"uuid": "...", "token": "<verification token>", "ts": "1502199207.7171419",
//	 "type": "event_callback",
//	 "event": {"type": "app_ticket", "app_id": "cli_...", "app_ticket": "..."}}
//
//	event of app_uninstalled: {"type": "app_uninstalled", "app_id", "tenant_key"}
//	event of app_open:        {"type": "app_open", "app_id", "tenant_key",
//	                           "applicants": [{"open_id"}], "installer": {"open_id"}}
//	event of app_status_change: {"type": "app_status_change", "app_id", "tenant_key",
//	                           "status": "start_by_tenant" | "stop_by_tenant" | "stop_by_platform"}
//
// They go to the event URL, encrypted and signed like every event (the SDK
// decrypts and dispatches them through the same handler). v1 envelopes have
// no header: the verification token is the top-level "token", the
// de-duplication key the "uuid".

// v1Envelope is the schema 1.0 wrapper.
type v1Envelope struct {
	UUID  string         `json:"uuid"`
	Token string         `json:"token"`
	TS    string         `json:"ts"`
	Type  string         `json:"type"`
	Event map[string]any `json:"event"`
}

// BuildEventV1 wraps event (which gets "type" eventType and this
// platform's "app_id" unless it has them) in a v1 envelope with a fresh
// uuid, this platform's verification token and the current time as "ts"
// (seconds with a fraction, as the docs' examples show). It panics if event
// does not marshal, a bug in the caller.
func (p *Platform) BuildEventV1(eventType string, event map[string]any) []byte {
	ev := make(map[string]any, len(event)+2)
	for k, v := range event {
		ev[k] = v
	}
	if _, ok := ev["type"]; !ok {
		ev["type"] = eventType
	}
	if _, ok := ev["app_id"]; !ok {
		ev["app_id"] = p.AppID
	}
	now := p.now()
	b, err := json.Marshal(v1Envelope{
		UUID:  randHex(16),
		Token: p.VerificationToken,
		TS:    strconv.FormatFloat(float64(now.UnixNano())/float64(time.Second), 'f', 7, 64),
		Type:  "event_callback",
		Event: ev,
	})
	if err != nil {
		panic(fmt.Sprintf("feishusim: BuildEventV1(%s): %v", eventType, err))
	}
	return b
}

// SendAppTicket delivers the v1 event app_ticket carrying ticket to
// EventURL. Server.PushAppTicket calls it; tests may send any ticket.
func (p *Platform) SendAppTicket(ctx context.Context, ticket string) (Result, error) {
	return p.Deliver(ctx, p.EventURL, p.BuildEventV1("app_ticket", map[string]any{"app_ticket": ticket}), DeliverOpts{})
}

// SendAppUninstalled delivers the v1 event app_uninstalled for tenantKey:
// the tenant removed the app.
func (p *Platform) SendAppUninstalled(ctx context.Context, tenantKey string) (Result, error) {
	return p.Deliver(ctx, p.EventURL, p.BuildEventV1("app_uninstalled", map[string]any{"tenant_key": tenantKey}), DeliverOpts{})
}

// SendAppOpen delivers the v1 event app_open for tenantKey: the tenant
// installed (first enabled) the app. installer may be empty.
func (p *Platform) SendAppOpen(ctx context.Context, tenantKey string) (Result, error) {
	return p.Deliver(ctx, p.EventURL, p.BuildEventV1("app_open", map[string]any{
		"tenant_key": tenantKey,
		"applicants": []map[string]string{},
	}), DeliverOpts{})
}

// SendAppStatusChange delivers the v1 event app_status_change for
// tenantKey with status "start_by_tenant", "stop_by_tenant" or
// "stop_by_platform".
func (p *Platform) SendAppStatusChange(ctx context.Context, tenantKey, status string) (Result, error) {
	return p.Deliver(ctx, p.EventURL, p.BuildEventV1("app_status_change", map[string]any{
		"tenant_key": tenantKey,
		"status":     status,
	}), DeliverOpts{})
}
