package access_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

func openLog(t *testing.T, dir string, now func() time.Time) *msglog.Log {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
	l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "journal"), ArchiveDir: filepath.Join(dir, "archive"),
		Signer: key, Certificate: cert, BatchInterval: 10 * time.Millisecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var policy = access.Policy{Roles: []access.Role{
	{Name: "auditor", Users: []string{"alice"}, Actions: []access.Action{access.ActionList, access.ActionSearch, access.ActionExport}, Purposes: []string{"audit"}},
	{Name: "support", Actions: []access.Action{access.ActionList}, Purposes: []string{"incident"}},
}}

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		req  access.Request
		want string // "" = allowed
	}{
		{access.Request{User: "alice", Role: "auditor", Purpose: "audit", Action: access.ActionExport}, ""},
		{access.Request{User: "bob", Role: "support", Purpose: "incident", Action: access.ActionList}, ""},
		{access.Request{User: "alice", Purpose: "audit", Action: access.ActionList}, "no role"},
		{access.Request{User: "alice", Role: "auditor", Action: access.ActionList}, "no purpose"},
		{access.Request{User: "bob", Role: "auditor", Purpose: "audit", Action: access.ActionList}, "not listed"},
		{access.Request{User: "bob", Role: "support", Purpose: "incident", Action: access.ActionSearch}, "does not allow search"},
		{access.Request{User: "alice", Role: "auditor", Purpose: "curiosity", Action: access.ActionSearch}, "not one of the role's purposes"},
		{access.Request{User: "alice", Role: "root", Purpose: "audit", Action: access.ActionSearch}, "no such role"},
	}
	for _, tt := range tests {
		err := policy.Check(tt.req)
		var de *access.DeniedError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: denied: %v", tt.req, err)
		case tt.want != "" && (!errors.As(err, &de) || !errors.Is(err, access.ErrDenied) || !strings.Contains(de.Reason, tt.want)):
			t.Errorf("%+v: err = %v, want denial containing %q", tt.req, err, tt.want)
		}
	}
}

func TestSearchExportAreRecorded(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	main := openLog(t, filepath.Join(dir, "main"), time.Now)
	for i := 0; i < 12; i++ {
		_, err := main.Append(ctx, &msglog.Record{Type: msglog.TypeExchange, Time: base.Add(time.Duration(i) * time.Hour), Member: "central-server/GOV/70000001/portal",
			Exchange: &msglog.Exchange{MessageID: fmt.Sprintf("m%d", i), UserID: fmt.Sprintf("officer%d", i%2), Issue: fmt.Sprintf("tender%d", i%3),
				Subjects: []string{fmt.Sprintf("%014d", i%4)}, Request: msglog.Message{Body: []byte("<q/>")}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := main.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	main.Close()

	journal := openLog(t, filepath.Join(dir, "access"), time.Now)
	rd := &access.Reader{Policy: policy, ArchiveDir: filepath.Join(dir, "main", "archive"), Journal: journal}
	alice := access.Request{User: "alice", Role: "auditor", Purpose: "audit"}

	count := func(q access.Query) []string {
		var ids []string
		if _, err := rd.Search(ctx, alice, q, func(h *access.Hit) error { ids = append(ids, h.Record.Exchange.MessageID); return nil }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, c := range []struct {
		q    access.Query
		want string
	}{
		{access.Query{Subject: "00000000000001"}, "[m1 m5 m9]"},
		{access.Query{Officer: "officer1", Issue: "tender0"}, "[m3 m9]"},
		{access.Query{MessageID: "m7"}, "[m7]"},
		{access.Query{From: base.Add(10 * time.Hour)}, "[m10 m11]"},
		{access.Query{From: base.Add(2 * time.Hour), To: base.Add(4 * time.Hour), Subject: "00000000000003"}, "[m3]"},
	} {
		if got := fmt.Sprint(count(c.q)); got != c.want {
			t.Errorf("search %+v = %s, want %s", c.q, got, c.want)
		}
	}

	// Denied: nothing returned, but the attempt is recorded.
	_, err := rd.Search(ctx, access.Request{User: "bob", Role: "support", Purpose: "incident"}, access.Query{}, func(*access.Hit) error {
		t.Fatal("denied search returned data")
		return nil
	})
	if !errors.Is(err, access.ErrDenied) {
		t.Fatalf("support search: %v", err)
	}

	var buf bytes.Buffer
	n, _, err := rd.Export(ctx, alice, access.Query{Issue: "tender2"}, &buf)
	if err != nil || n != 4 {
		t.Fatalf("export: %d, %v", n, err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	v := verify.New(verify.Options{})
	exported := 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".asice") {
			continue
		}
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		if _, err := v.Container(data); err != nil {
			t.Errorf("exported %s does not verify: %v", f.Name, err)
		}
		exported++
	}
	if exported != 4 {
		t.Fatalf("export zip holds %d containers", exported)
	}

	// Every read is a signed record in the access log: 5 searches, 1 denied, 1 export.
	if err := journal.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	journal.Close()
	as, _ := msglog.ListArchives(filepath.Join(dir, "access", "archive"))
	var outcomes []string
	for _, a := range as {
		msglog.ReadArchive(a.Path, nil, func(_ string, _ []byte, r *msglog.Record) error {
			if r.Type != msglog.TypeArchiveRead {
				t.Errorf("access log holds a %s record", r.Type)
			}
			outcomes = append(outcomes, r.Event.Actor+":"+r.Event.Action+":"+r.Event.Outcome)
			return nil
		})
	}
	want := "[alice:search:ok alice:search:ok alice:search:ok alice:search:ok alice:search:ok bob:search:denied alice:export:ok]"
	if fmt.Sprint(outcomes) != want {
		t.Fatalf("access log = %v\nwant %s", outcomes, want)
	}
	rep, err := verify.New(verify.Options{}).Paths([]string{filepath.Join(dir, "access", "archive")}, verify.ChainOptions{First: true})
	if err != nil || !rep.Valid() {
		t.Fatalf("access log archives do not verify: %v %+v", err, rep)
	}
}

// The officer is found by the PIN the portal sent and by the X-Road userId
// (prefix + PIN), in records that keep both and in older records that keep
// only the userId; other officers and partial ids do not match.
func TestOfficerMatchesEitherForm(t *testing.T) {
	both := &msglog.Exchange{UserID: "KG21504197800123", Officer: "21504197800123"}
	old := &msglog.Exchange{UserID: "KG21504197800123"}
	named := &msglog.Exchange{UserID: "officer7"}
	for _, c := range []struct {
		q    string
		ex   *msglog.Exchange
		want bool
	}{
		{"21504197800123", both, true},
		{"KG21504197800123", both, true},
		{"kg21504197800123", both, true},
		{"21504197800123", old, true},
		{"KG21504197800123", old, true},
		{"21504197800124", both, false},
		{"KG2150419780012", both, false},
		{"1504197800123", both, false},
		{"officer7", named, true},
		{"officer", named, false},
		{"", both, false},
		{"KG", &msglog.Exchange{UserID: "KG"}, true},
		{"KG", both, false},
	} {
		if got := access.OfficerMatches(c.q, c.ex); got != c.want {
			t.Errorf("OfficerMatches(%q, %+v) = %v, want %v", c.q, c.ex, got, c.want)
		}
	}
}
