package observe

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/adapter/kgid"
	"go.uber.org/zap"
)

func logLine(t *testing.T, msg string, fields ...zap.Field) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log, err := NewLogger(LogOptions{Out: &buf})
	if err != nil {
		t.Fatal(err)
	}
	log.Info(msg, fields...)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not a JSON line: %v: %s", err, buf.String())
	}
	return rec
}

// TestMaskByField: identifier fields and the URL paths that carry them are
// masked whatever the value's length or validity — a 15-digit typo, one
// with a letter, a 9-digit fragment.
func TestMaskByField(t *testing.T) {
	for _, c := range []struct {
		key  string
		f    zap.Field
		leak string
	}{
		{"inn", zap.String("inn", "015032010102345"), "015032010102345"},               // 15 digits
		{"inn", zap.String("inn", "0150320101023X4"), "0150320101023X4"},               // a letter
		{"pin", zap.String("pin", "215041978"), "215041978"},                           // truncated
		{"userId", zap.String("userId", "KG2150419780012"), "2150419780012"},           // 13 digits after KG
		{"subject", zap.String("subject", "0150320101023"), "0150320101023"},           // 13 digits
		{"officer", zap.String("officer", "21504197800123"), "21504197800123"},         // a valid PIN
		{"supplierInn", zap.String("supplierInn", "99999999999999"), "99999999999999"}, // invalid INN
		{"representative_pin", zap.ByteString("representative_pin", []byte("2150419780012399")), "2150419780012399"},
		{"inn", zap.Int64("inn", 15032010102345), "15032010102345"},
		{"subjects", zap.Strings("subjects", []string{"015032010102345", "2150419780012"}), "015032010102345"},
		{"path", zap.String("path", "/v1/suppliers/015032010102345/tax-debt"), "015032010102345"},
		{"path", zap.String("path", "/v1/persons/2150419780012X/criminal-record"), "2150419780012X"},
		{"url", zap.String("url", "http://p.example/r1/central-server/GOV/70000024/minjust-inn-services/founders/0150320101023456"), "0150320101023456"},
		{"target", zap.String("target", "/api/taxpayer?inn=01503201X&mode=full"), "01503201X"},
	} {
		rec := logLine(t, "check", c.f)
		got, _ := json.Marshal(rec[c.key])
		if strings.Contains(string(got), c.leak) {
			t.Errorf("%s: %s leaked: %s", c.key, c.leak, got)
		}
		if !strings.Contains(string(got), "*") {
			t.Errorf("%s: nothing masked: %s", c.key, got)
		}
	}
}

// TestMaskInText: free text (messages, errors, other fields) has the token
// after an identifier word masked, malformed or not, and valid 14-digit
// identifiers anywhere.
func TestMaskInText(t *testing.T) {
	for _, c := range []struct{ text, leak string }{
		{`invalid inn "015032010102345"`, "015032010102345"},
		{`bad request: pin=2150419780012X`, "2150419780012X"},
		{`body {"inn":"0150320101023","x":1}`, "0150320101023"},
		{`<ns:PIN>2150419780012345</ns:PIN>`, "2150419780012345"},
		{`GET /v1/suppliers/015032010102345/tax-debt: not found`, "015032010102345"},
		{`provider rejected 21504197800123`, "21504197800123"},    // valid PIN, no context
		{`organisation 01503201010234 unknown`, "01503201010234"}, // valid INN, no context
		{`X-User-Id: KG2150419780`, "2150419780"},
	} {
		rec := logLine(t, c.text, zap.Error(errors.New("wrapped: "+c.text)), zap.String("detail", c.text))
		for _, k := range []string{"msg", "error", "detail"} {
			if s, _ := rec[k].(string); strings.Contains(s, c.leak) {
				t.Errorf("%s: %s leaked in %s: %q", c.text, c.leak, k, s)
			}
		}
	}
}

// TestMaskLeavesOtherNumbers: digit runs that are not identifiers stay
// readable — archive names with YYYYMMDDhhmmss (issue 9), timestamps,
// message ids, member codes, durations — in text and in non-identifier
// fields alike.
func TestMaskLeavesOtherNumbers(t *testing.T) {
	keep := []string{
		"mlog-20261204010114-20261204020114-0a1b2c3d4e5f6071.zip",
		"/var/lib/tunduk/archive/mlog-20261130235959-20261201000000-ffffffffffffffff.zip",
		"collected up to 20261204120000",
		"message 3f2504e0-4f89-11d3-9a0c-0305e82c3301 took 1733311234567890123 ns",
		"central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1",
		"batch 12345678901234567 sealed", // 17 digits
		"service inn-check returned 404",
		"subject to change after 2026",
	}
	for _, s := range keep {
		rec := logLine(t, s, zap.String("archive", s), zap.String("file", s), zap.String("messageId", s), zap.Error(errors.New(s)))
		for _, k := range []string{"msg", "archive", "file", "messageId", "error"} {
			if rec[k] != s {
				t.Errorf("%s changed to %q", k, rec[k])
			}
		}
	}
	// Paths keep their non-identifier segments.
	rec := logLine(t, "req", zap.String("path", "/v1/suppliers/01503201010234/tax-debt"), zap.String("url", "/r1/central-server/GOV/70000002/gns-service/svc"))
	if rec["path"] != "/v1/suppliers/**********0234/tax-debt" || rec["url"] != "/r1/central-server/GOV/70000002/gns-service/svc" {
		t.Errorf("paths: %v, %v", rec["path"], rec["url"])
	}
}

// TestMaskPrefilterAgrees: skipping the context expression for text that
// cannot hold its words (hex ids, addresses, durations) masks exactly as
// running it would, also where case folding reaches outside ASCII
// (ſ for s, K for k).
func TestMaskPrefilterAgrees(t *testing.T) {
	slow := func(s string) string {
		if !hasDigit(s) {
			return s
		}
		if inContext.MatchString(s) {
			s = replaceSubmatch(s, inContext, func(tok string) string {
				if !hasDigit(tok) {
					return tok
				}
				return kgid.Mask(tok)
			})
		}
		return maskValidRuns(s)
	}
	for _, s := range []string{
		"1b4e28ba-2fa1-11d2-883f-0016d3cca427", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"127.0.0.1:54321", "1.5ms", "[10.0.0.1]:443", "21504197800123", "ab 21504197800123 cd",
		"ſubject: 2150419780012X", "SUPPLIERS/015032010102345", "pin=2150419780012X", "ſuppliers/0150320101023",
		"Officer 21504197800123", "x_user_id=1", "ÿinn: 12345",
	} {
		if got, want := maskText(s), slow(s); got != want {
			t.Errorf("maskText(%q) = %q, the expression alone gives %q", s, got, want)
		}
	}
}
