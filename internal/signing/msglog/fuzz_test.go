package msglog_test

import (
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// FuzzUnmarshalRecord: message.xml from an archive is untrusted input;
// parsing must not panic, and what parses must marshal again.
func FuzzUnmarshalRecord(f *testing.F) {
	r := exchange(1, "central-server/GOV/70000001/portal")
	b, _ := msglog.MarshalRecord(r)
	f.Add(b)
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><record xmlns="https://tunduk.kg/xsd/msglog/1" type="exchange">&a;</record>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := msglog.UnmarshalRecord(data, nil)
		if err != nil {
			return
		}
		if _, err := msglog.MarshalRecord(r); err != nil {
			t.Fatalf("parsed record does not marshal: %v", err)
		}
	})
}
