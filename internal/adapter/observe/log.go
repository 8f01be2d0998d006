package observe

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LogOptions configures NewLogger.
type LogOptions struct {
	Level  string    // debug, info, warn, error; "" ⇒ info
	Format string    // json or console; "" ⇒ json
	Out    io.Writer // "" ⇒ os.Stderr
}

// NewLogger returns a zap logger writing JSON (or console) lines with every
// PIN/INN masked.
func NewLogger(o LogOptions) (*zap.Logger, error) {
	lvl := zapcore.InfoLevel
	if o.Level != "" {
		if err := lvl.Set(o.Level); err != nil {
			return nil, fmt.Errorf("observe: log level: %w", err)
		}
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "time"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch o.Format {
	case "", "json":
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("observe: unknown log format %q", o.Format)
	}
	out := o.Out
	if out == nil {
		out = os.Stderr
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(out)), lvl)
	return zap.New(MaskingCore(core)), nil
}

// MaskingCore wraps core so that PINs and INNs are masked in messages and
// in string, byte-string, stringer, error and reflected fields: by field
// (identifier keys wholly, URL keys by segment) and in free text by
// context (see mask.go).
func MaskingCore(core zapcore.Core) zapcore.Core { return maskCore{core} }

type maskCore struct{ zapcore.Core }

func (c maskCore) With(fields []zapcore.Field) zapcore.Core {
	return maskCore{c.Core.With(maskFields(fields))}
}

func (c maskCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c maskCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = maskText(e.Message)
	return c.Core.Write(e, maskFields(fields))
}

func maskFields(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		m, changed := maskField(f)
		if changed && out == nil {
			out = make([]zapcore.Field, len(fields))
			copy(out, fields)
		}
		if out != nil {
			out[i] = m
		}
	}
	if out == nil {
		return fields
	}
	return out
}

// maskField masks one field by what its key says it holds (see mask.go):
// an identifier's value wholly, a URL's identifier segments, and free text
// by context.
func maskField(f zapcore.Field) (zapcore.Field, bool) {
	mask := maskText
	switch {
	case identifierKey(f.Key):
		mask = maskValue
		switch f.Type {
		case zapcore.Int64Type, zapcore.Int32Type, zapcore.Uint64Type, zapcore.Uint32Type:
			return zap.String(f.Key, maskValue(fmt.Sprint(f.Integer))), true
		case zapcore.ArrayMarshalerType, zapcore.ObjectMarshalerType:
			return zap.String(f.Key, maskValue(fmt.Sprintf("%v", f.Interface))), true
		}
	case urlKey(f.Key):
		mask = maskURL
	}
	switch f.Type {
	case zapcore.StringType:
		if m := mask(f.String); m != f.String {
			f.String = m
			return f, true
		}
	case zapcore.ByteStringType:
		if b, ok := f.Interface.([]byte); ok {
			if m := mask(string(b)); m != string(b) {
				return zap.String(f.Key, m), true
			}
		}
	case zapcore.StringerType:
		if s, ok := f.Interface.(fmt.Stringer); ok {
			return zap.String(f.Key, mask(s.String())), true
		}
	case zapcore.ErrorType:
		if err, ok := f.Interface.(error); ok && err != nil {
			return zap.String(f.Key, mask(err.Error())), true
		}
	case zapcore.ReflectType:
		return zap.String(f.Key, mask(fmt.Sprintf("%+v", f.Interface))), true
	}
	return f, false
}
