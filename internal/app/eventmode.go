package app

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/longconn"
	"github.com/botd/botd/internal/webhook"
)

// Event modes (Config.EventMode, BOTD_EVENT_MODE): how events and card
// callbacks reach botd.
const (
	// EventModeWebhook: the platform POSTs to /webhook/event and
	// /webhook/card, which must be reachable over public HTTPS.
	EventModeWebhook = "webhook"
	// EventModeWebSocket: botd opens the platform's long connection and
	// receives them on it; the webhook routes are not served. Self-built
	// apps only.
	EventModeWebSocket = "websocket"
)

// longConnection reports whether cfg receives over the long connection.
func (c Config) longConnection() bool { return c.EventMode == EventModeWebSocket }

func checkEventMode(mode string) error {
	switch mode {
	case "", EventModeWebhook, EventModeWebSocket:
		return nil
	}
	return fmt.Errorf("event mode %q: want %s or %s", mode, EventModeWebhook, EventModeWebSocket)
}

// newReceiver builds the long connection's receiver, which hands what it
// receives to the webhook pipeline (hooks.Deliver).
func newReceiver(cfg Config, hooks *webhook.Handler, log *zap.Logger, reg prometheus.Registerer) (*longconn.Receiver, error) {
	domain, err := ephemeral.ParseBaseURL(cfg.OpenBaseURL)
	if err != nil {
		return nil, err
	}
	return longconn.New(longconn.Config{AppID: cfg.AppID, AppSecret: cfg.AppSecret, Domain: domain}, hooks, log.Named("longconn"), reg)
}

// startReceiving starts the long connection, in websocket mode, and says
// how events arrive.
func (a *App) startReceiving(ctx context.Context) {
	if a.recv == nil {
		if a.cfg.EncryptKey == "" {
			a.log.Warn("no encrypt key configured: events are neither encrypted nor signed; set BOTD_ENCRYPT_KEY in production")
		}
		a.warnRotation()
		return
	}
	a.log.Info("event mode websocket: receiving events and callbacks over the platform's long connection " +
		"(self-built apps only); the webhook routes are not served")
	a.recv.Start(ctx)
}

// warnRotation says, at start, that a previous secret is still accepted and
// what tells when it can go: it widens what botd accepts, so it should not
// stay configured once the platform no longer uses it.
func (a *App) warnRotation() {
	for _, s := range []struct {
		set       bool
		kind, env string
	}{
		{a.cfg.PreviousEncryptKey != "", "encrypt_key", "BOTD_ENCRYPT_KEY_PREVIOUS"},
		{a.cfg.PreviousVerificationToken != "", "verification_token", "BOTD_VERIFICATION_TOKEN_PREVIOUS"},
	} {
		if s.set {
			a.log.Warn("secret rotation in progress: the previous "+s.kind+" is accepted besides the current one; "+
				"remove "+s.env+" once botd_webhook_secret_used_total{secret=\"previous\",kind=\""+s.kind+"\"} has stopped growing for a day",
				zap.String("kind", s.kind))
		}
	}
}

// stopReceiving drains and closes the long connection, if there is one.
func (a *App) stopReceiving(ctx context.Context) error {
	if a.recv == nil {
		return nil
	}
	return a.recv.Stop(ctx)
}

// receiving reports why botd cannot receive events now, or "" when it can:
// in websocket mode, only while the long connection is up.
func (a *App) receiving() string {
	if a.recv != nil && !a.recv.Connected() {
		return "long connection: not connected"
	}
	return ""
}
