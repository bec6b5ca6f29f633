package longconn

import (
	"context"
	"fmt"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"
)

// sdkLogger takes the SDK's log lines into zap. Its Debug lines are dropped:
// they quote every payload, with what people wrote and the callbacks'
// card-update tokens. The others go one level down, since botd logs every
// outcome itself (connected, lost, refused, delivered).
type sdkLogger struct{ log *zap.Logger }

var _ larkcore.Logger = sdkLogger{}

func (sdkLogger) Debug(context.Context, ...any)          {}
func (l sdkLogger) Info(_ context.Context, args ...any)  { l.log.Debug(line(args)) }
func (l sdkLogger) Warn(_ context.Context, args ...any)  { l.log.Info(line(args)) }
func (l sdkLogger) Error(_ context.Context, args ...any) { l.log.Warn(line(args)) }

func line(args []any) string { return safeText(fmt.Sprint(args...)) }
