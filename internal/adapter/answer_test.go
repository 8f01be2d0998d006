package adapter

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestWriteResult: the answer with the receipt spliced in is WriteJSON's,
// byte for byte (headers too), for results with and without receipt and
// data, with strings encoding/json escapes; and the receipt stays where
// it was (evidence.receipt), so a field added after it would fail here.
func TestWriteResult(t *testing.T) {
	rc := json.RawMessage(`{"version":2,"statement":{"origin":"o","issue":"a\u003cb\u0026c","subjects":["x"]},"signature":"c2ln","keyId":"a2V5"}`)
	ev := func(r json.RawMessage) *Evidence {
		return &Evidence{Service: "SERVICE:KG/GOV/1/tax/debt/v1", MessageID: "m-1", UserID: "KG1", Issue: "t<1>&\u2028",
			Time: time.Date(2026, 12, 5, 9, 0, 0, 123, time.UTC), DurationMs: 1.5, RecordID: "mlog:7", RequestID: "r", Receipt: r}
	}
	for name, res := range map[string]*Result{
		"receipt":         {Check: "tax-debt", Status: StatusOK, Data: map[string]any{"debt": 1.25, "name": "<ООО>"}, Evidence: ev(rc)},
		"receipt no data": {Check: "tax-debt", Status: StatusNotFound, Evidence: ev(rc)},
		"no receipt":      {Check: "tax-debt", Status: StatusOK, Evidence: ev(nil)},
		"no evidence":     {Check: "tax-debt", Status: StatusOK},
	} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		WriteJSON(want, 200, res)
		WriteResult(got, 200, res)
		if got.Body.String() != want.Body.String() {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got.Body, want.Body)
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options"} {
			if got.Header().Get(h) != want.Header().Get(h) {
				t.Errorf("%s: %s %q, want %q", name, h, got.Header().Get(h), want.Header().Get(h))
			}
		}
		if res.Evidence != nil && string(res.Evidence.Receipt) != "" {
			if cl := got.Header().Get("Content-Length"); cl != strconv.Itoa(got.Body.Len()) {
				t.Errorf("%s: Content-Length %q for %d bytes", name, cl, got.Body.Len())
			}
			var back struct {
				Evidence struct {
					Receipt json.RawMessage `json:"receipt"`
				} `json:"evidence"`
			}
			if err := json.Unmarshal(got.Body.Bytes(), &back); err != nil || string(back.Evidence.Receipt) != string(rc) {
				t.Errorf("%s: receipt read back %s (%v)", name, back.Evidence.Receipt, err)
			}
		}
	}
}
