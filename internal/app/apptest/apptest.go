// Package apptest runs botd, wired as in production, inside a test.
package apptest

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/app"
)

// Start builds and starts botd from cfg and stops it when the test ends.
// cfg.Addr should be a loopback address with port 0.
func Start(t testing.TB, cfg app.Config, opts app.Options) *app.App {
	t.Helper()
	ctx := context.Background()
	bot, err := app.New(ctx, cfg, zaptest.NewLogger(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.Start(ctx); err != nil {
		_ = bot.Stop(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := bot.Stop(sctx); err != nil {
			t.Errorf("stop botd: %v", err)
		}
	})
	return bot
}
