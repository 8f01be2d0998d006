// Package archiveflags holds the flags the `tunduk archive` verbs share:
// the access flags (--role, --purpose; the configuration through the
// Factory) every read of the archives states, and the record-selection
// flags of search and export.
package archiveflags

import (
	"os/user"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/access"
)

// Access is who reads and why: checked against messageLog.access.roles
// and recorded in the signed access log.
type Access struct {
	// User is the OS account (not a flag: the role is checked against it).
	User    string
	Role    string
	Purpose string
}

// AddAccess registers --config, --role and --purpose (with completion of
// the configured roles and their purposes) and fills User.
func AddAccess(f *cli.Factory, cmd *cobra.Command, a *Access) {
	a.User = CurrentUser()
	fs := cmd.Flags()
	f.AddConfigFlag(fs)
	fs.StringVar(&a.Role, "role", "", "role to read in (messageLog.access.roles); required")
	fs.StringVar(&a.Purpose, "purpose", "", "stated purpose of this read (one of the role's purposes); required")
	cli.Complete(cmd, "role", f.CompleteRoles())
	cli.Complete(cmd, "purpose", f.CompletePurposes(&a.Role))
}

// Check reports missing --role/--purpose as usage errors.
func (a *Access) Check() error {
	if a.Role == "" || a.Purpose == "" {
		return cli.UsageError("reading archives needs --role and --purpose; both are recorded in the signed access log")
	}
	return nil
}

// Request is the access request the archive reader checks.
func (a *Access) Request() access.Request {
	return access.Request{User: a.User, Role: a.Role, Purpose: a.Purpose}
}

// CurrentUser is the OS account name, "" when unknown.
func CurrentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// Query are the record-selection flags search and export share.
type Query struct {
	Subject, Officer, Issue, MessageID, Type, Group, From, To string
}

// Add registers the flags.
func (q *Query) Add(fs *pflag.FlagSet) {
	fs.StringVar(&q.Subject, "inn", "", "INN or PIN the exchange is about")
	fs.StringVar(&q.Officer, "officer", "", "officer: the PIN as the portal sent it or the X-Road userId (KG+PIN); either finds the same records")
	fs.StringVar(&q.Issue, "issue", "", "X-Road issue (tender/lot reference)")
	fs.StringVar(&q.MessageID, "message-id", "", "X-Road message id")
	fs.StringVar(&q.Type, "type", "", "record type: exchange, archive-read, catalog-apply, key-operation, retention")
	fs.StringVar(&q.Group, "group", "", "archive group directory")
	fs.StringVar(&q.From, "from", "", "records at or after this time (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&q.To, "to", "", "records before this time (RFC 3339 or YYYY-MM-DD)")
}

// Query converts the flags, reporting bad times as usage errors.
func (q *Query) Query() (access.Query, error) {
	out := access.Query{Subject: q.Subject, Officer: q.Officer, Issue: q.Issue, MessageID: q.MessageID, Type: msglog.Type(q.Type), Group: q.Group}
	var err error
	if out.From, err = parseTime("--from", q.From); err != nil {
		return out, err
	}
	if out.To, err = parseTime("--to", q.To); err != nil {
		return out, err
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.To.After(out.From) {
		return out, cli.UsageError("--to must be after --from")
	}
	return out, nil
}

func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, cli.UsageError("%s %q: want RFC 3339 (2026-03-01T10:00:00Z) or YYYY-MM-DD", flag, s)
}
