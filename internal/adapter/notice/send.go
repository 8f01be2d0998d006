package notice

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Webhook is an HTTP(S) endpoint that receives notices as JSON (POST). The
// body is signed: X-Tunduk-Signature: sha256=<hex HMAC-SHA256 of the body
// with Secret>.
type Webhook struct {
	URL    string
	Secret string
	// Client defaults to a client with a 10 s timeout.
	Client *http.Client
}

// SMTP is a mail server and the operator's addresses. Mail is only sent
// after STARTTLS: a server that does not offer it is an error.
type SMTP struct {
	Addr     string // host:port, e.g. mail.example.kg:587
	From     string
	To       []string
	Username string
	Password string // never logged
	// TLS verifies the server (default: system roots, ServerName from Addr).
	TLS *tls.Config
}

// Sender delivers notices to every channel, retrying failures.
type Sender struct {
	Webhooks []Webhook
	Mail     []SMTP
	// Attempts per channel (default 3) and the first wait between them
	// (default 1s, doubled each time).
	Attempts int
	Backoff  time.Duration
	Logger   *zap.Logger
}

// Delivery is one channel's outcome.
type Delivery struct {
	Channel  string // "webhook <url>" or "smtp <addr>"
	Attempts int
	Err      error
}

// PermanentError is a failure retrying cannot fix (a 4xx answer, a
// refused address, no STARTTLS).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Send delivers n to every channel and returns each outcome; err joins
// the failures.
func (s *Sender) Send(ctx context.Context, n Notice) (out []Delivery, err error) {
	attempts, backoff, log := s.Attempts, s.Backoff, s.Logger
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	if log == nil {
		log = zap.NewNop()
	}
	try := func(channel string, f func(context.Context) error) {
		d := Delivery{Channel: channel}
		wait := backoff
		for d.Attempts < attempts {
			d.Attempts++
			if d.Err = f(ctx); d.Err == nil {
				break
			}
			log.Warn("notice: delivery failed", zap.String("channel", channel), zap.Int("attempt", d.Attempts), zap.Error(d.Err))
			var pe *PermanentError
			if errors.As(d.Err, &pe) || d.Attempts == attempts {
				break
			}
			select {
			case <-ctx.Done():
				d.Err = ctx.Err()
				d.Attempts = attempts
			case <-time.After(wait):
				wait *= 2
			}
		}
		out = append(out, d)
	}
	for _, w := range s.Webhooks {
		try("webhook "+w.URL, func(ctx context.Context) error { return w.send(ctx, n) })
	}
	for _, m := range s.Mail {
		try("smtp "+m.Addr, func(ctx context.Context) error { return m.send(ctx, n) })
	}
	var errs []error
	for _, d := range out {
		if d.Err != nil {
			errs = append(errs, fmt.Errorf("%s (%d attempts): %w", d.Channel, d.Attempts, d.Err))
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("notice: %w", errors.Join(errs...))
	}
	return out, nil
}

// Sign is the X-Tunduk-Signature value of body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w Webhook) send(ctx context.Context, n Notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return &PermanentError{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("webhook URL: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tunduk-Notice", n.ID)
	if w.Secret != "" {
		req.Header.Set("X-Tunduk-Signature", Sign(w.Secret, body))
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout:
		return &PermanentError{fmt.Errorf("webhook answered %s; fix the URL or the secret", resp.Status)}
	}
	return fmt.Errorf("webhook answered %s", resp.Status)
}

func (m SMTP) send(ctx context.Context, n Notice) error {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return &PermanentError{fmt.Errorf("smtp address %q: %w", m.Addr, err)}
	}
	if m.From == "" || len(m.To) == 0 {
		return &PermanentError{errors.New("smtp: From and To are required")}
	}
	for _, a := range append([]string{m.From}, m.To...) {
		if strings.ContainsAny(a, "\r\n") {
			return &PermanentError{fmt.Errorf("smtp: address %q contains a line break", a)}
		}
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("smtp EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return &PermanentError{fmt.Errorf("smtp server %s does not offer STARTTLS; notices are not sent in clear text", m.Addr)}
	}
	tc := m.TLS
	if tc == nil {
		tc = &tls.Config{}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if err := c.StartTLS(tc); err != nil {
		return fmt.Errorf("smtp STARTTLS: %w", err)
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return &PermanentError{fmt.Errorf("smtp AUTH as %s: %w", m.Username, err)}
		}
	}
	if err := c.Mail(m.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	msg := "From: " + m.From + "\r\nTo: " + strings.Join(m.To, ", ") + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", n.Subject()) +
		"\r\nDate: " + n.Created.Format(time.RFC1123Z) + "\r\nMessage-ID: <" + n.ID + "@tunduk>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(n.Body(), "\n", "\r\n")
	if _, err := io.WriteString(w, msg); err != nil {
		return fmt.Errorf("smtp: writing the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	return c.Quit()
}
