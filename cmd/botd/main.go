// Command botd is a server for Feishu/Lark group bots: members type /todo or
// /remind in a group, fill in a form only they can see, and the group gets
// the finished card.
//
// Usage:
//
//	botd [-config PATH] [-check-config] [-playground [-playground-expose]]
//
// See README.md for the configuration and configs/botd.example.yaml for
// every key.
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/botd/botd/internal/app"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so tests can call it. Exit codes: 0 ok,
// 1 runtime failure, 2 bad usage or configuration.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("botd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (default "+DefaultConfigPath+" when present)")
	checkConfig := fs.Bool("check-config", false, "load and validate the config, print it with secrets masked, and exit")
	playgroundMode := fs.Bool("playground", false, "run botd, a Feishu simulator and a web page playing a group chat, on this machine")
	playgroundExpose := fs.Bool("playground-expose", false, "let -playground listen on a non-loopback address: anyone who reaches it can act as any member (dangerous)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *playgroundMode {
		return runPlayground(*configPath, *playgroundExpose, stdout, stderr)
	}

	cfg, err := LoadConfig(*configPath, os.LookupEnv)
	if *checkConfig {
		out, _ := yaml.Marshal(cfg) // secrets marshal masked
		fmt.Fprintf(stdout, "%s", out)
		if err != nil {
			fmt.Fprintf(stderr, "config is invalid:\n%v\n", err)
			return 2
		}
		fmt.Fprintln(stdout, "# config is valid")
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "botd: config is invalid:\n%v\n", err)
		return 2
	}

	return untilSignal(cfg, stderr, func(ctx context.Context, log *zap.Logger) error {
		return serve(ctx, cfg, log)
	})
}

// untilSignal builds the logger cfg asks for, runs do until SIGINT or
// SIGTERM cancels its context, and returns the exit code: 1 if do failed,
// 2 if the logger could not be built.
func untilSignal(cfg Config, stderr io.Writer, do func(ctx context.Context, log *zap.Logger) error) int {
	log, err := NewLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "botd: %v\n", err)
		return 2
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := do(ctx, log); err != nil {
		log.Error("botd stopped with an error", zap.Error(err))
		return 1
	}
	return 0
}

// serve runs botd until ctx is cancelled (SIGINT/SIGTERM), then drains
// in-flight requests and jobs within cfg.ShutdownTimeout: the whole stop,
// jobs included, returns by then (app.App.Stop).
func serve(ctx context.Context, cfg Config, log *zap.Logger) error {
	bot, err := app.New(ctx, cfg.App(), log, app.Options{})
	if err != nil {
		return err
	}
	if err := bot.Start(ctx); err != nil {
		_ = bot.Stop(context.Background())
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining in-flight requests and jobs", zap.Duration("timeout", cfg.ShutdownTimeout))
	case serveErr = <-bot.Served():
		log.Error("http server failed", zap.Error(serveErr))
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := bot.Stop(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("botd stopped")
	return serveErr
}
