package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/tenant"
)

// A store app (Config.StoreApp) serves many tenants through one set of
// routes. Every event and callback it hands over carries its tenant in its
// context (tenant.With), taken from the delivery itself:
//
//	im.message.receive_v1    header.tenant_key (else event.sender.tenant_key)
//	card.action.trigger      header.tenant_key (else event.operator.tenant_key)
//	legacy card action       tenant_key
//
// and checked with tenant.Check. A delivery without a valid one is refused
// with 400 before anything is claimed or handed over: the claims and
// everything the flows store are scoped by that tenant, and an unscoped
// fallback could mix two tenants' data. A self-built app puts no tenant in
// the context (its single tenant needs no scope), as before.
//
// The platform also sends a store app v1 (schema 1.0) events about itself,
// verified like every other delivery (signature, decryption, the top-level
// Verification Token) and then checked for event.app_id. Their names and
// shapes are those of the feishu docs (application-v6/event/...) and
// oapi-sdk-go v3.11.0 (event/dispatcher: the dispatcher registers
// "app_ticket" itself; ext_event_dispatch.go OnP1AppUninstalledV6,
// OnP1AppOpenV6, OnP1AppStatusChangedV6; models in
// service/application/v6/ext_model.go):
//
//	app_ticket         {"type","app_id","app_ticket"}: pushed hourly and on
//	                   request (POST /open-apis/auth/v3/app_ticket/resend);
//	                   handed to OnAppTicket
//	app_uninstalled    {"type","app_id","tenant_key"}: the tenant removed the
//	                   app (the SDK's comment: pushed when the organisation is
//	                   dissolved, for the developer to clear its data);
//	                   handed to OnTenantRemoved
//	app_open           {"type","app_id","tenant_key","applicants","installer",…}:
//	                   first installation; handed to OnTenantInstalled if set
//	app_status_change  {"type","app_id","tenant_key","status","operator"}:
//	                   status start_by_tenant, stop_by_tenant or
//	                   stop_by_platform; logged only: a stopped app may be
//	                   started again, so nothing is deleted for it
//
// There are no v2 events for installation or removal among the SDK's
// (its application.application.* events are about versions, feedback and
// visibility). These events are not claimed: the hooks are idempotent
// (keeping a ticket; deleting a tenant's keys, which would delete the claim
// too), and a hook's failure answers 503 so that the platform sends the
// event again. A self-built app receives none of them (the docs: "自建应用无
// 此事件"); should one arrive it is answered 200 and ignored, since it is
// authentic and a refusal would only make the platform send it again.

// v1 app events botd acts on.
const (
	eventAppTicket       = "app_ticket"
	eventAppUninstalled  = "app_uninstalled"
	eventAppOpen         = "app_open"
	eventAppStatusChange = "app_status_change"
)

// checkStore checks a store app's configuration.
func checkStore(cfg Config) error {
	if !cfg.StoreApp {
		return nil
	}
	switch {
	case cfg.LongConnection:
		return errors.New("webhook: the long connection is for self-built apps only; a store app takes events on the webhook routes")
	case cfg.OnAppTicket == nil:
		return errors.New("webhook: a store app needs OnAppTicket (the app_ticket the platform pushes)")
	case cfg.OnTenantRemoved == nil:
		return errors.New("webhook: a store app needs OnTenantRemoved (the app_uninstalled event)")
	}
	return nil
}

// withTenant scopes the rest of a store app's delivery to key: the claims
// and the flows see it in their context. It refuses a delivery without a
// valid tenant_key. A self-built app's delivery is left as it is.
func (h *Handler) withTenant(c *call, key string) error {
	if !h.cfg.StoreApp {
		return nil
	}
	if err := tenant.Check(key); err != nil {
		return badRequest("no valid tenant_key (store app)", err)
	}
	c.ctx = tenant.With(c.ctx, key)
	c.with(logged("tenant_key", key))
	return nil
}

// messageTenant is the tenant of an im.message.receive_v1 delivery.
func messageTenant(env *envelope) string {
	if env.Header.TenantKey != "" {
		return env.Header.TenantKey
	}
	var ev struct {
		Sender *struct {
			TenantKey string `json:"tenant_key"`
		} `json:"sender"`
	}
	if env.ev != nil {
		if s := env.ev.Sender; s != nil {
			return s.TenantKey
		}
		return ""
	}
	if json.Unmarshal(env.Event, &ev) == nil && ev.Sender != nil {
		return ev.Sender.TenantKey
	}
	return ""
}

// cardTenant is the tenant of a card.action.trigger callback.
func cardTenant(env *envelope) string {
	if env.Header.TenantKey != "" {
		return env.Header.TenantKey
	}
	var ev struct {
		Operator struct {
			TenantKey *string `json:"tenant_key"`
		} `json:"operator"`
	}
	if env.ev != nil {
		ev.Operator.TenantKey = env.ev.Operator.TenantKey
	} else if json.Unmarshal(env.Event, &ev) != nil {
		return ""
	}
	if ev.Operator.TenantKey == nil {
		return ""
	}
	return *ev.Operator.TenantKey
}

// appEvent is the event of a v1 app event.
type appEvent struct {
	Type      string `json:"type"`
	AppID     string `json:"app_id"`
	AppTicket string `json:"app_ticket"` // never logged
	TenantKey string `json:"tenant_key"`
	Status    string `json:"status"` // app_status_change
}

// handleV1 answers a v1 event: a store app's app events go to the hooks;
// every other v1 event is ignored, as botd subscribes to none.
func (h *Handler) handleV1(c *call, env *envelope) (reply, error) {
	c.with(logged("uuid", env.UUID))
	var ev appEvent
	if len(env.Event) > 0 && string(env.Event) != "null" {
		if err := json.Unmarshal(env.Event, &ev); err != nil {
			return reply{}, badRequest("malformed v1 event", err)
		}
	}
	c.with(logged("event_type", ev.Type))
	switch ev.Type {
	case eventAppTicket, eventAppUninstalled, eventAppOpen, eventAppStatusChange:
	default:
		// botd subscribes to no other v1 event; answering 200 stops redelivery.
		c.log.Info("v1 event ignored")
		return reply{outcome: outcomeIgnored}, nil
	}
	if !h.cfg.StoreApp {
		c.log.Debug("a store app's event for a self-built app; ignored")
		return reply{outcome: outcomeIgnored}, nil
	}
	// v1 envelopes have no header: the event names the app.
	switch {
	case ev.AppID == "" && h.cfg.AppID != "":
		return reply{}, unauthorized("no app_id")
	case h.cfg.AppID != "" && ev.AppID != h.cfg.AppID:
		return reply{}, unauthorized("wrong app_id")
	}

	switch ev.Type {
	case eventAppTicket:
		if ev.AppTicket == "" {
			return reply{}, badRequest("app_ticket event without a ticket", nil)
		}
		if err := h.callHook(c, func(ctx context.Context) error { return h.cfg.OnAppTicket(ctx, ev.AppTicket) }); err != nil {
			return reply{}, err
		}
		c.log.Info("app_ticket handed over")
		return reply{outcome: outcomeOK}, nil

	case eventAppUninstalled, eventAppOpen:
		if err := h.withTenant(c, ev.TenantKey); err != nil {
			return reply{}, err
		}
		hook := h.cfg.OnTenantRemoved
		if ev.Type == eventAppOpen {
			hook = h.cfg.OnTenantInstalled
		}
		if hook == nil {
			c.log.Info("tenant installed the app")
			return reply{outcome: outcomeIgnored}, nil
		}
		if err := h.callHook(c, func(ctx context.Context) error { return hook(ctx, ev.TenantKey) }); err != nil {
			return reply{}, err
		}
		c.log.Info("tenant event handed over")
		return reply{outcome: outcomeOK}, nil

	default: // app_status_change
		c.log.Info("app status changed in a tenant; nothing to do", logged("tenant_key", ev.TenantKey), logged("status", ev.Status))
		return reply{outcome: outcomeIgnored}, nil
	}
}

// callHook runs a hook like the flows (a panic becomes an error) and sorts
// its failure: one that says it is permanent (a malformed ticket) is bad
// input, 400; any other is ours, 503, for the platform to send again.
func (h *Handler) callHook(c *call, do func(context.Context) error) error {
	err := h.callFlows(c.ctx, c, do)
	switch {
	case err == nil:
		return nil
	case !retry.Retryable(err):
		return &refusal{status: http.StatusBadRequest, reason: "event refused by its hook", err: err}
	default:
		c.log.Warn("app event hook failed; the platform will send it again", zap.Error(err))
		return unavailable("app event hook failed", err)
	}
}
