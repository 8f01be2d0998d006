package gateway_test

import (
	"net/http"
	"testing"
)

// journalSize is how many exchanges were recorded so far.
func (s *stack) journalSize(t *testing.T) int64 {
	t.Helper()
	return int64(len(s.journal.Exchanges()))
}

// HEAD on a check (a link checker, a monitoring probe) must not query
// Tunduk, write a record or be attributed to an officer: it is refused
// with 405 and Allow naming the method that runs the check. GET and POST
// still work.
func TestHeadNeverReachesTunduk(t *testing.T) {
	s := newStack(t, stackOptions{})
	hdr := map[string]string{"X-User-Id": officer}
	for _, tt := range []struct{ path, allow string }{
		{"/v1/suppliers/01503201010234/tax-debt", "GET"},
		{"/v1/suppliers/01503201010234/social-fund-debt", "GET"},
		{"/v1/suppliers/01503201010234/founders", "GET"},
		{"/v1/persons/22201197000311/criminal-record", "GET"},
		{"/v1/supplier-checks", "POST"},
	} {
		for _, key := range []string{portalKey, ""} { // with and without credentials
			req, _ := http.NewRequest(http.MethodHead, s.api.URL+tt.path, nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tt.allow {
				t.Errorf("HEAD %s: %d, Allow %q; want 405, %s", tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.allow)
			}
		}
	}
	if n := s.received(); n != 0 {
		t.Errorf("HEAD requests reached the security server %d times", n)
	}
	if n := s.journalSize(t); n != 0 {
		t.Errorf("HEAD requests wrote %d bytes of journal records", n)
	}
	// The documented methods still run the check.
	if a := s.get(t, "/v1/suppliers/01503201010234/founders"); a.status != 200 {
		t.Fatalf("GET after HEAD: %d %s", a.status, a.raw)
	}
	if s.received() != 1 {
		t.Errorf("GET reached the security server %d times, want 1", s.received())
	}
}

// INNs that fit no known structure are refused with 400 before any
// Tunduk query, on the single checks and in a batch.
func TestImpossibleINNsNeverReachTunduk(t *testing.T) {
	s := newStack(t, stackOptions{})
	ok := map[string]string{"X-User-Id": officer}
	for _, inn := range []string{"00000000000000", "01111111111111", "01234567890123", "09913999912345", "03112209912345"} {
		for _, check := range []string{"tax-debt", "social-fund-debt", "founders"} {
			a := s.do(t, "GET", "/v1/suppliers/"+inn+"/"+check, portalKey, ok, "")
			if a.status != 400 || field(a.body, "code") != "invalid_inn" {
				t.Errorf("%s %s: %d %s", inn, check, a.status, a.raw)
			}
		}
		a := s.do(t, "POST", "/v1/supplier-checks", portalKey, ok, `{"inn":"`+inn+`","checks":["tax-debt","founders"]}`)
		if a.status != 400 || field(a.body, "code") != "invalid_inn" {
			t.Errorf("batch %s: %d %s", inn, a.status, a.raw)
		}
	}
	if n := s.received(); n != 0 {
		t.Errorf("impossible INNs reached the security server %d times", n)
	}
}
