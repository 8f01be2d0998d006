package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

// Notices are where `tunduk notice` sends outage and maintenance notices
// (package internal/adapter/notice). Each notice is also recorded in the signed
// administrative log when messageLog.signingKey is set.
//
//	notices:
//	  journal: /var/lib/tunduk/notices.jsonl
//	  smtp:
//	    addr: mail.example.kg:587          # STARTTLS required
//	    from: tunduk@example.kg
//	    to: [noc@tunduk.kg]
//	    username: tunduk
//	    password: …
//	  webhooks:
//	    - url: https://chat.example.kg/hooks/tunduk
//	      secret: …
type Notices struct {
	Journal  string          `yaml:"journal"`
	SMTP     NoticeSMTP      `yaml:"smtp"`
	Webhooks []NoticeWebhook `yaml:"webhooks"`
	Attempts int             `yaml:"attempts"`
	Backoff  time.Duration   `yaml:"backoff"`
}

// NoticeSMTP is the mail channel; empty addr disables it.
type NoticeSMTP struct {
	Addr     string   `yaml:"addr"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	Username string   `yaml:"username"`
	Password Secret   `yaml:"password"`
	// CAFile verifies the server (default: the system roots).
	CAFile string `yaml:"caFile"`
}

// NoticeWebhook is a webhook channel.
type NoticeWebhook struct {
	URL    string `yaml:"url"`
	Secret Secret `yaml:"secret"`
}

// DefaultNotices returns the section's defaults.
func DefaultNotices() Notices {
	return Notices{Journal: "/var/lib/tunduk/notices.jsonl", Attempts: 3, Backoff: 2 * time.Second}
}

// Validate reports problems in the section.
func (n *Notices) Validate(is *Issues) {
	if n.SMTP.Addr != "" {
		if _, _, err := net.SplitHostPort(n.SMTP.Addr); err != nil {
			is.Addf("notices.smtp.addr", "%q is not host:port (e.g. mail.example.kg:587)", n.SMTP.Addr)
		}
		if n.SMTP.From == "" || len(n.SMTP.To) == 0 {
			is.Addf("notices.smtp", "set from and to (the Tunduk operator's address)")
		}
	}
	for i, w := range n.Webhooks {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			is.Addf(fmt.Sprintf("notices.webhooks[%d].url", i), "%q is not an http(s) URL", w.URL)
		}
	}
}

// JournalAt is the notices journal, a relative path resolved against base
// (the configuration file's directory).
func (n *Notices) JournalAt(base string) notice.Journal {
	p := n.Journal
	if p != "" && !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return notice.Journal{Path: p}
}

// Issuing is where `tunduk notice` puts a notice: the configured channels
// (see Sender) and the journal; the caller adds the signed log.
func (n *Notices) Issuing(base string) (notice.Issuing, error) {
	s, err := n.Sender(base)
	return notice.Issuing{Sender: s, Journal: n.JournalAt(base)}, err
}

// Sender returns the configured channels; base resolves caFile.
func (n *Notices) Sender(base string) (*notice.Sender, error) {
	s := &notice.Sender{Attempts: n.Attempts, Backoff: n.Backoff}
	for _, w := range n.Webhooks {
		s.Webhooks = append(s.Webhooks, notice.Webhook{URL: w.URL, Secret: w.Secret.Value()})
	}
	if m := n.SMTP; m.Addr != "" {
		var tc *tls.Config
		if m.CAFile != "" {
			p := m.CAFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(base, p)
			}
			pem, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("notices.smtp.caFile: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("notices.smtp.caFile %s: no PEM certificate", p)
			}
			tc = &tls.Config{RootCAs: pool}
		}
		s.Mail = append(s.Mail, notice.SMTP{Addr: m.Addr, From: m.From, To: m.To, Username: m.Username, Password: m.Password.Value(), TLS: tc})
	}
	return s, nil
}
