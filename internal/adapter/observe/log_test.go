package observe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
)

type idStringer string

func (s idStringer) String() string { return string(s) }

func TestLoggerMasksIdentifiers(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(LogOptions{Out: &buf})
	if err != nil {
		t.Fatal(err)
	}
	const pin, inn = "21504197800123", "01503201010234"
	log = log.With(zap.String("userId", "KG"+pin))
	log.Info("check for "+inn+" done",
		zap.String("inn", inn),
		zap.ByteString("body", []byte("<PIN>"+pin+"</PIN>")),
		zap.Stringer("who", idStringer(pin)),
		zap.Error(fmt.Errorf("wrapped: %w", errors.New("provider rejected "+pin))),
		zap.Any("input", map[string]string{"pin": pin}),
		zap.Int("count", 3),
		zap.String("service", "central-server/GOV/70000002/gns-service/x/v1"),
	)
	out := buf.String()
	if strings.Contains(out, pin) || strings.Contains(out, inn) {
		t.Fatalf("identifier leaked: %s", out)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not a JSON line: %v: %s", err, out)
	}
	want := map[string]any{
		"msg": "check for **********0234 done", "inn": "**********0234", "userId": "KG**********0123",
		"body": "<PIN>**********0123</PIN>", "who": "**********0123", "error": "wrapped: provider rejected **********0123",
		"count": float64(3), "service": "central-server/GOV/70000002/gns-service/x/v1", "level": "info",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %#v, want %#v", k, rec[k], v)
		}
	}
}

func TestLoggerOptions(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(LogOptions{Level: "warn", Format: "console", Out: &buf})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("level not applied: %q", buf.String())
	}
	if _, err := NewLogger(LogOptions{Level: "loud"}); err == nil {
		t.Error("bad level accepted")
	}
	if _, err := NewLogger(LogOptions{Format: "xml"}); err == nil {
		t.Error("bad format accepted")
	}
}
