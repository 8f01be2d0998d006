package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/fixtures"
)

// With a signing key configured, serve records every exchange in the signed
// message log: the evidence names an mlog record, and the archive the log
// produces verifies independently.
func TestServeRecordsInTheSignedLog(t *testing.T) {
	ss := fixtures.StartDemo(t, fixtures.DemoOptions{})
	dir, cfgPath, api, apiKey := signedLogSetup(t, ss.URL, "")

	stop, _ := startServe(t, cfgPath)
	waitUp(t, "http://"+api+"/healthz")
	req, _ := http.NewRequest("GET", "http://"+api+"/v1/suppliers/02207200800561/tax-debt", nil)
	req.Header.Set("X-API-Key", apiKey)
	req.Header.Set("X-User-Id", "21504197800123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Evidence struct{ RecordID, MessageID string } `json:"evidence"`
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if !strings.HasPrefix(res.Evidence.RecordID, "mlog:") {
		t.Errorf("evidence record id %q does not name a signed log record", res.Evidence.RecordID)
	}
	r, err := http.Get("http://" + api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, m := range []string{"tunduk_msglog_", `tunduk_signing_key_expiry_timestamp_seconds{key="mlog"}`} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	stop()

	// Rotate what serve recorded into an archive, then verify it alone.
	clitest.Archive(t, cfgPath) // rotate what serve recorded into an archive
	// The record names the supplier, so an auditor can search by INN.
	archives, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	var found bool
	for _, a := range archives {
		msglog.ReadArchive(a.Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
			if r != nil && r.Exchange != nil && r.Exchange.MessageID == res.Evidence.MessageID {
				found = true
				if len(r.Exchange.Subjects) != 1 || r.Exchange.Subjects[0] != "02207200800561" || r.Exchange.UserID != "KG21504197800123" {
					t.Errorf("archived exchange: subjects %v, userId %q", r.Exchange.Subjects, r.Exchange.UserID)
				}
			}
			return nil
		})
	}
	if !found {
		t.Errorf("message %s is not in the archives", res.Evidence.MessageID)
	}
	rep, err := verify.New(verify.Options{}).Paths([]string{filepath.Join(dir, "archive")}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Containers == 0 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Errorf("archive of serve's exchanges does not verify (%d containers):\n%s", rep.Containers, b.String())
	}
}

// signedLogYAML returns the keys and messageLog sections of a serve
// configuration under dir: a file key and the signed log in dir/mlog,
// archives in dir/archive (the log signs as the portal's member).
func signedLogYAML(t *testing.T, dir string) string {
	t.Helper()
	keyPath, certPath := clitest.FileKeyFor(t, dir, "mlog", fixtures.PortalClient.MemberCode)
	return fmt.Sprintf(`keys:
  mlog: {uri: "file:%s", certificate: %s}
messageLog:
  dir: %s/mlog
  archiveDir: %s/archive
  signingKey: mlog
`, keyPath, certPath, dir, dir)
}

// logBytes is how many bytes the signed log's store under dir holds.
func logBytes(t *testing.T, dir string) int64 {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "mlog", "journal", "*.seg"))
	var n int64
	for _, s := range segs {
		if st, err := os.Stat(s); err == nil {
			n += st.Size()
		}
	}
	return n
}

// signedLogSetup writes a serve configuration under a new directory: the
// gateway on a free port in front of the security server at ssURL, a portal
// caller with an API key file, and the signed message log with a file key;
// messageLog is appended to the messageLog section (indented by two
// spaces). It returns the directory, the configuration, the API address and
// the API key.
func signedLogSetup(t *testing.T, ssURL, messageLog string) (dir, cfgPath, api, apiKey string) {
	t.Helper()
	return gatewayConfig(t, ssURL, func(dir string) string {
		// The log signs as the portal's member (its certificate names it).
		keyPath, certPath := clitest.FileKeyFor(t, dir, "mlog", fixtures.PortalClient.MemberCode)
		return fmt.Sprintf(`keys:
  mlog: {uri: "file:%s", certificate: %s}
messageLog:
  dir: %s/mlog
  archiveDir: %s/archive
  signingKey: mlog
%s`, keyPath, certPath, dir, dir, messageLog)
	})
}
