package ephemeral

import (
	"context"
	"fmt"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"
)

// sdkLogger routes the SDK's own log lines to zap instead of its default,
// which prints to stdout. The client logs every outcome itself, so the SDK is
// configured at Warn and request dumps stay off.
type sdkLogger struct{ log *zap.Logger }

var _ larkcore.Logger = sdkLogger{}

func (l sdkLogger) Debug(_ context.Context, args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l sdkLogger) Info(_ context.Context, args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l sdkLogger) Warn(_ context.Context, args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l sdkLogger) Error(_ context.Context, args ...any) { l.log.Error(fmt.Sprint(args...)) }
