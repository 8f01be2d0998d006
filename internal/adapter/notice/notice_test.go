package notice_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

const taxSvc = "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1"

func testNotice() notice.Notice {
	from := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	return notice.New(notice.Notice{Kind: notice.Maintenance, Services: []string{taxSvc}, From: from, To: from.Add(2 * time.Hour),
		Text: "Плановые работы: сервис недоступен.", Author: "ops"}, time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC))
}

// TestWebhookRetriesAndSignature: a 503 is retried, the delivered body is
// the notice and carries a valid HMAC signature; a 400 is not retried.
func TestWebhookRetriesAndSignature(t *testing.T) {
	var calls atomic.Int32
	var got notice.Notice
	var sigOK bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		sigOK = r.Header.Get("X-Tunduk-Signature") == notice.Sign("s3cret", body)
		_ = json.Unmarshal(body, &got)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n := testNotice()
	s := &notice.Sender{Webhooks: []notice.Webhook{{URL: srv.URL, Secret: "s3cret"}}, Backoff: time.Millisecond}
	out, err := s.Send(context.Background(), n)
	if err != nil || len(out) != 1 || out[0].Attempts != 2 {
		t.Fatalf("Send = %+v, %v; want delivered on the 2nd attempt", out, err)
	}
	if !sigOK || got.ID != n.ID || got.Text != n.Text || !got.From.Equal(n.From) {
		t.Fatalf("received %+v (signature ok %v)", got, sigOK)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); w.WriteHeader(http.StatusBadRequest) }))
	defer bad.Close()
	calls.Store(0)
	s.Webhooks = []notice.Webhook{{URL: bad.URL}}
	out, err = s.Send(context.Background(), n)
	var pe *notice.PermanentError
	if !errors.As(err, &pe) || out[0].Attempts != 1 || calls.Load() != 1 {
		t.Fatalf("400: %+v %v, %d calls; want one attempt and a PermanentError", out, err, calls.Load())
	}
}

// smtpServer is a loopback SMTP server speaking just enough of RFC 5321
// and 3207 (STARTTLS) and 4954 (AUTH PLAIN).
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config
	starttls bool
	mu       sync.Mutex
	mails    []mail
}

type mail struct {
	from, auth string
	to         []string
	data       string
	overTLS    bool
}

func newSMTPServer(t *testing.T, starttls bool) (*smtpServer, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, starttls: starttls, tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s, pool
}

func (s *smtpServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	var m mail
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	say := func(line string) { rw.WriteString(line + "\r\n"); rw.Flush() }
	say("220 127.0.0.1 ESMTP test")
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch {
		case cmd == "EHLO":
			if s.starttls && !m.overTLS {
				say("250-127.0.0.1\r\n250 STARTTLS")
			} else {
				say("250-127.0.0.1\r\n250 AUTH PLAIN")
			}
		case cmd == "STARTTLS" && s.starttls:
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c = tc
			rw = bufio.NewReadWriter(bufio.NewReader(tc), bufio.NewWriter(tc))
			m.overTLS = true
		case cmd == "AUTH":
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "AUTH PLAIN "))
			m.auth = string(b)
			say("235 ok")
		case cmd == "MAIL":
			m.from = line
			say("250 ok")
		case cmd == "RCPT":
			m.to = append(m.to, line)
			say("250 ok")
		case cmd == "DATA":
			say("354 go")
			var b strings.Builder
			for {
				l, err := rw.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.data = b.String()
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

// TestSMTPWithSTARTTLS sends the notice to a loopback server: after
// STARTTLS, authenticated, with the subject and text.
func TestSMTPWithSTARTTLS(t *testing.T) {
	srv, pool := newSMTPServer(t, true)
	n := testNotice()
	s := &notice.Sender{Mail: []notice.SMTP{{Addr: srv.ln.Addr().String(), From: "tunduk@zakupki.gov.kg", To: []string{"noc@tunduk.kg"},
		Username: "tunduk", Password: "pw", TLS: &tls.Config{RootCAs: pool}}}, Backoff: time.Millisecond}
	if _, err := s.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.mails) != 1 {
		t.Fatalf("mails = %d", len(srv.mails))
	}
	m := srv.mails[0]
	if !m.overTLS || m.auth != "\x00tunduk\x00pw" || !strings.Contains(m.from, "<tunduk@zakupki.gov.kg>") || len(m.to) != 1 ||
		!strings.Contains(m.to[0], "<noc@tunduk.kg>") {
		t.Fatalf("mail envelope = %+v", m)
	}
	for _, want := range []string{"Subject: [Tunduk] Planned maintenance from 2026-12-05 02:00 UTC: " + taxSvc, n.Text, "Notice id: " + n.ID,
		"To: 2026-12-05T04:00:00Z"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.data)
		}
	}
}

// TestSMTPRefusesCleartext: no STARTTLS offered ⇒ no mail, no retry.
func TestSMTPRefusesCleartext(t *testing.T) {
	srv, _ := newSMTPServer(t, false)
	s := &notice.Sender{Mail: []notice.SMTP{{Addr: srv.ln.Addr().String(), From: "a@b.kg", To: []string{"c@d.kg"}}}, Backoff: time.Millisecond}
	out, err := s.Send(context.Background(), testNotice())
	var pe *notice.PermanentError
	if !errors.As(err, &pe) || out[0].Attempts != 1 || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("Send = %+v, %v", out, err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.mails) != 0 {
		t.Fatal("mail sent without TLS")
	}
}

type appender struct{ recs []*msglog.Record }

func (a *appender) Append(_ context.Context, r *msglog.Record) (uint64, error) {
	a.recs = append(a.recs, r)
	return uint64(len(a.recs)), nil
}

// TestRecordAndValidate: a notice becomes one signed-log event with its
// fields; bad notices are refused with what to fix.
func TestRecordAndValidate(t *testing.T) {
	var a appender
	n := testNotice()
	if seq, err := notice.Record(context.Background(), &a, n); err != nil || seq != 1 {
		t.Fatalf("Record = %d, %v", seq, err)
	}
	r := a.recs[0]
	if r.Type != notice.TypeNotice || r.Event.Action != "notice-maintenance" || r.Event.Actor != "ops" {
		t.Fatalf("record = %+v %+v", r, r.Event)
	}
	fields := map[string]string{}
	for _, f := range r.Event.Fields {
		fields[f.Name] = f.Value
	}
	if fields["id"] != n.ID || fields["service"] != taxSvc || fields["from"] != "2026-12-05T02:00:00Z" || fields["text"] != n.Text {
		t.Fatalf("fields = %v", fields)
	}
	bad := notice.Notice{Kind: "party", Services: []string{"nope"}, From: n.From, To: n.From.Add(-time.Hour)}
	err := bad.Validate()
	for _, want := range []string{`kind "party"`, `service "nope"`, "is before start", "no text"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want it to mention %q", err, want)
		}
	}
	if _, err := notice.Record(context.Background(), &a, bad); err == nil || len(a.recs) != 1 {
		t.Fatal("an invalid notice was recorded")
	}
}
