package verify

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/witness"
	"github.com/tunduk-kg/tunduk/signing/receipt"
)

const (
	origin = evidencetest.Origin
	member = "KG/GOV/70000001"
)

// logKey returns the log's key, its certificate and the certificate's PEM file.
func logKey(t *testing.T) (crypto.Signer, *x509.Certificate, string) {
	t.Helper()
	key, cert := certstest.Signing(t)
	f := filepath.Join(t.TempDir(), "mlog.crt")
	if err := os.WriteFile(f, certstest.PEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	return key, cert, f
}

// host is one run of the signed log with its evidence (checkpoints pushed
// to the witnesses), as `tunduk serve` wires it.
type host struct{ *evidencetest.Fixture }

func openHost(t *testing.T, signer crypto.Signer, cert *x509.Certificate, witnesses ...string) host {
	t.Helper()
	return host{evidencetest.Open(t, evidencetest.Options{Signer: signer, Certificate: cert, Witnesses: witnesses, GroupBy: msglog.GroupMember})}
}

// record is the i-th record: SOAP and REST exchanges, metadata-only ones
// (no body) and administrative events, so every container layout the
// leaf is recomputed from occurs.
func record(i int, answer string) *msglog.Record {
	if i%5 == 4 {
		return &msglog.Record{Type: msglog.TypeArchiveRead, Member: member,
			Event: &msglog.Event{Actor: "auditor", Action: "search", Outcome: "ok", Fields: []msglog.Field{{Name: "n", Value: fmt.Sprint(i)}}}}
	}
	ex := &msglog.Exchange{Direction: "consumer", Protocol: "soap", Check: "tax-debt", MessageID: fmt.Sprintf("msg-%d", i),
		UserID: "officer-1", Issue: "tender-7", RequestID: fmt.Sprintf("req-%d", i), Subjects: []string{"01234567890123"},
		Request:  msglog.Message{ContentType: "text/xml; charset=utf-8", Body: []byte(fmt.Sprintf("<req n='%d'/>", i))},
		Response: msglog.Message{ContentType: "text/xml; charset=utf-8", Status: 200, Body: []byte(fmt.Sprintf("<resp n='%d'>%s</resp>", i, answer))}}
	switch i % 5 {
	case 1:
		ex.Protocol = "rest"
		ex.Request = msglog.Message{Method: "GET", URL: fmt.Sprintf("https://ss/r1/KG/GOV/1/tax/debt?n=%d", i)}
		ex.Response = msglog.Message{Status: 200, ContentType: "application/json", Body: []byte(fmt.Sprintf(`{"n":%d,"debt":%q}`, i, answer))}
	case 2:
		ex.Response = msglog.Message{Status: 504} // no answer: no response body
	}
	return &msglog.Record{Type: msglog.TypeExchange, Member: member, Exchange: ex}
}

func (h host) append(t *testing.T, from, to int, answer func(i int) string) (last uint64) {
	t.Helper()
	for i := from; i <= to; i++ {
		var err error
		if last, err = h.Log.Append(context.Background(), record(i, answer(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Log.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.Evidence.Flush()
	return last
}

func witnessed(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	resp, err := http.Get(srv.URL + "/checkpoint/" + url.PathEscape(origin+"/"+member))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("witness: %d %s", resp.StatusCode, b)
	}
	return b
}

type jsonReport struct {
	Valid       bool
	Problems    int
	Checkpoints []struct {
		File, Origin, Code, Message string
		Size, ArchiveSize           uint64
		Valid, KeyPinned            bool
	}
}

func runJSON(t *testing.T, args ...string) (jsonReport, cli.ExitCode, string) {
	t.Helper()
	out, code := run(t, append([]string{"--output", "json"}, args...)...)
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, output not JSON: %v\n%s", code, err, out)
	}
	return rep, code, out
}

func keep(t *testing.T, b []byte) string {
	f := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRewrittenHistoryDetected is the scenario of issue 16: a witness holds
// the log's checkpoints; the key holder later rewrites the history (one
// answer changed) and re-signs everything with the same key. The rewritten
// archives are valid on their own (every signature verifies), but
// `archive verify --checkpoint` with the witnessed checkpoint fails with
// Checkpoint.Rewritten, the witness refuses the rewritten log's next
// checkpoint, and a removed last archive is Checkpoint.MissingRecords.
func TestRewrittenHistoryDetected(t *testing.T) {
	signer, cert, certFile := logKey(t)
	w, err := witness.NewServer(witness.Options{Dir: t.TempDir(), Logs: map[string]crypto.PublicKey{origin + "/" + member: cert.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	defer srv.Close()

	honest := func(int) string { return "none" }
	a := openHost(t, signer, cert, srv.URL)
	a.append(t, 1, 7, honest)
	cp7 := keep(t, witnessed(t, srv))
	groupA := msglog.GroupDir(a.Archive, member)
	firstArchives, _ := filepath.Glob(filepath.Join(groupA, "mlog-*.zip"))
	a.append(t, 8, 12, honest)
	cp12 := keep(t, witnessed(t, srv))

	rep, code, out := runJSON(t, "-f", "--cert", certFile, "--checkpoint", cp7, "--checkpoint", cp12, groupA)
	if code != cli.ExitOK || !rep.Valid || len(rep.Checkpoints) != 2 {
		t.Fatalf("honest archives: exit %d\n%s", code, out)
	}
	for _, c := range rep.Checkpoints {
		if !c.Valid || !c.KeyPinned || c.ArchiveSize != 12 {
			t.Errorf("honest checkpoint %+v", c)
		}
	}
	// Without --cert the archives' own certificate checks the signature
	// and the report says the key is not pinned.
	if rep, code, out := runJSON(t, "-f", "--checkpoint", cp7, a.Archive); code != cli.ExitOK || rep.Checkpoints[0].KeyPinned {
		t.Errorf("unpinned, archive root: exit %d\n%s", code, out)
	}

	// The rewrite: the same records with answer 3 changed, re-signed by the
	// same key into a fresh log, and one record more.
	b := openHost(t, signer, cert, srv.URL)
	forged := func(i int) string {
		if i == 3 {
			return "paid in full"
		}
		return "none"
	}
	lastB := b.append(t, 1, 13, forged)
	groupB := msglog.GroupDir(b.Archive, member)
	// The rewritten archives pass every check that does not hold a
	// checkpoint: they are signed with the log key.
	if _, code := run(t, "-f", groupB); code != cli.ExitOK {
		t.Fatalf("rewritten archives alone: exit %d", code)
	}
	rep, code, out = runJSON(t, "-f", "--cert", certFile, "--checkpoint", cp7, "--checkpoint", cp12, groupB)
	if code != cli.ExitInvalid || rep.Valid || len(rep.Checkpoints) != 2 {
		t.Fatalf("rewritten: exit %d\n%s", code, out)
	}
	for _, c := range rep.Checkpoints {
		if c.Valid || c.Code != "Checkpoint.Rewritten" {
			t.Errorf("rewritten history, checkpoint of size %d: %s %s", c.Size, c.Code, c.Message)
		}
	}
	text, code := run(t, "-f", "--cert", certFile, "--checkpoint", cp7, groupB)
	if code != cli.ExitInvalid || !strings.Contains(text, "FAIL checkpoint") || !strings.Contains(text, "Checkpoint.Rewritten") {
		t.Errorf("text report: exit %d\n%s", code, text)
	}

	// The witness kept the honest checkpoint and refuses the rewritten
	// log's: its consistency proof from the witnessed size does not hold.
	if got := witnessed(t, srv); string(got) != string(mustRead(t, cp12)) {
		t.Errorf("witness took the rewritten log's checkpoint:\n%s", got)
	}
	r, err := b.Evidence.Receipt(lastB, 12)
	if err != nil || r.Inclusion == nil || len(r.Consistency) != 1 {
		t.Fatalf("receipt of the rewritten log: %+v %v", r, err)
	}
	err = (&witness.Client{URL: srv.URL}).Add(&witness.Request{OldSize: 12, Proof: r.Consistency[0].Proof, Checkpoint: []byte(r.Inclusion.Checkpoint)})
	var refused *witness.ErrRefused
	if !errors.As(err, &refused) || refused.Status != http.StatusUnprocessableEntity {
		t.Errorf("witness on the rewritten checkpoint: %v", err)
	}
	// A receipt of the rewritten log fails against the witnessed checkpoint too.
	rb, _ := json.Marshal(r)
	if _, err := receipt.Verify(rb, receipt.Options{Certificate: cert, Checkpoint: mustRead(t, cp12)}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonConsistency}) {
		t.Errorf("receipt of the rewritten log against the witnessed checkpoint: %v", err)
	}

	// Dropping the last archive of the honest log: the witnessed
	// checkpoint covers records the archives no longer hold.
	names, _ := filepath.Glob(filepath.Join(groupA, "mlog-*.zip"))
	if len(names) != 2 || len(firstArchives) != 1 {
		t.Fatalf("archives %v, then %v", firstArchives, names)
	}
	for _, n := range names {
		if n != firstArchives[0] {
			if err := os.Remove(n); err != nil {
				t.Fatal(err)
			}
		}
	}
	rep, code, out = runJSON(t, "-f", "--cert", certFile, "--checkpoint", cp7, "--checkpoint", cp12, groupA)
	if code != cli.ExitInvalid {
		t.Fatalf("last archive removed: exit %d\n%s", code, out)
	}
	byFile := map[string]string{}
	for _, c := range rep.Checkpoints {
		byFile[c.File] = c.Code
	}
	if byFile[cp7] != "" || byFile[cp12] != "Checkpoint.MissingRecords" {
		t.Errorf("last archive removed: %v\n%s", byFile, out)
	}

	// Another key, a damaged note, a log that is not given.
	_, _, otherCert := logKey(t)
	if rep, code, _ := runJSON(t, "-f", "--cert", otherCert, "--checkpoint", cp7, groupA); code != cli.ExitInvalid || rep.Checkpoints[0].Code != "Checkpoint.Signature" {
		t.Errorf("other key: exit %d %+v", code, rep.Checkpoints)
	}
	if rep, _, _ := runJSON(t, "-f", "--checkpoint", keep(t, []byte("garbage")), groupA); rep.Checkpoints[0].Code != "Checkpoint.Format" {
		t.Errorf("garbage checkpoint: %+v", rep.Checkpoints)
	}
}

func mustRead(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPinnedLeafVectors: `archive verify --checkpoint` still verifies the
// pinned archives of both leaf versions (testdata/evidence/leaf-vN,
// version 1 written before version 2 existed) against their checkpoints.
func TestPinnedLeafVectors(t *testing.T) {
	for _, v := range []string{"leaf-v1", "leaf-v2"} {
		dir := filepath.Join("..", "..", "..", "testdata", "evidence", v)
		rep, code, out := runJSON(t, "-f", "--cert", filepath.Join(dir, "mlog.crt"), "--checkpoint", filepath.Join(dir, "checkpoint"), filepath.Join(dir, "archive"))
		if code != cli.ExitOK || !rep.Valid || len(rep.Checkpoints) != 1 || !rep.Checkpoints[0].Valid || !rep.Checkpoints[0].KeyPinned || rep.Checkpoints[0].Size != 3 {
			t.Errorf("%s: exit %d\n%s", v, code, out)
		}
	}
}
