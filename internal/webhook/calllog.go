package webhook

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// callLog is a request's logger. The fields it gathers (request id,
// event_id, chat_id...) are kept as they are and only encoded when a line
// is written: with zap's With, every request would copy and encode its
// fields three times over, although most requests log nothing at botd's
// usual level.
type callLog struct {
	base   *zap.Logger
	fields []zap.Field
}

// newCallLog returns a request's logger; store is where its fields go
// until it needs more room (the route, the request id and the ids learnt
// later fit), so that a call holds its fields in its own allocation.
func newCallLog(base *zap.Logger, store []zap.Field, fields ...zap.Field) callLog {
	return callLog{base: base, fields: append(store[:0], fields...)}
}

// with adds fields to every later line.
func (l *callLog) with(fields ...zap.Field) { l.fields = append(l.fields, fields...) }

func (l *callLog) Debug(msg string, fields ...zap.Field) { l.write(zapcore.DebugLevel, msg, fields) }
func (l *callLog) Info(msg string, fields ...zap.Field)  { l.write(zapcore.InfoLevel, msg, fields) }
func (l *callLog) Warn(msg string, fields ...zap.Field)  { l.write(zapcore.WarnLevel, msg, fields) }
func (l *callLog) Error(msg string, fields ...zap.Field) { l.write(zapcore.ErrorLevel, msg, fields) }

func (l *callLog) write(lvl zapcore.Level, msg string, fields []zap.Field) {
	ce := l.base.Check(lvl, msg)
	if ce == nil {
		return
	}
	all := make([]zap.Field, 0, len(l.fields)+len(fields))
	ce.Write(append(append(all, l.fields...), fields...)...)
}
