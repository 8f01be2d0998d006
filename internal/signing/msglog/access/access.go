// Package access controls and records reads of message-log archives.
//
// Tunduk participants must name who may read their request-log archives
// and on what conditions (DOMAIN.md §3), and the state audit found no
// journal of access. Here every read — listing, searching, exporting —
// needs a configured role that allows the action and one of the role's
// stated purposes, and is itself appended to a signed message log (an
// archive-read record naming the user, role, purpose, action and query)
// before any archive data is returned. Refused attempts are recorded too.
//
// Non-goals: authentication (the OS account running the command is the
// user; the archive directory's permissions are the first gate) and
// search indexes (archives are scanned; they are read rarely).
package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

// Action is an archive verb a role may be allowed.
type Action string

// Actions.
const (
	ActionList   Action = "ls"
	ActionSearch Action = "search"
	ActionExport Action = "export"
)

// Role is one configured role.
type Role struct {
	Name        string
	Description string
	// Users may act in the role; empty means any user.
	Users      []string
	Actions    []Action
	Purposes   []string
	Conditions string
}

// Policy is the set of roles.
type Policy struct {
	Roles []Role
}

// Request is who wants to do what, and why.
type Request struct {
	User    string
	Role    string
	Purpose string
	Action  Action
}

// DeniedError says why a read was refused.
type DeniedError struct {
	Request Request
	Reason  string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("access: %s denied for user %q in role %q: %s", e.Request.Action, e.Request.User, e.Request.Role, e.Reason)
}

// ErrDenied matches every *DeniedError with errors.Is.
var ErrDenied = errors.New("access: denied")

// Is makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// Check decides a request.
func (p *Policy) Check(req Request) error {
	deny := func(format string, args ...any) error {
		return &DeniedError{Request: req, Reason: fmt.Sprintf(format, args...)}
	}
	if req.Role == "" {
		return deny("no role given; name one with --role")
	}
	if strings.TrimSpace(req.Purpose) == "" {
		return deny("no purpose stated; state one with --purpose")
	}
	i := slices.IndexFunc(p.Roles, func(r Role) bool { return r.Name == req.Role })
	if i < 0 {
		return deny("no such role in messageLog.access.roles")
	}
	r := p.Roles[i]
	if len(r.Users) > 0 && !slices.Contains(r.Users, req.User) {
		return deny("user is not listed for the role")
	}
	if !slices.Contains(r.Actions, req.Action) {
		return deny("the role does not allow %s", req.Action)
	}
	if !slices.Contains(r.Purposes, req.Purpose) {
		return deny("purpose %q is not one of the role's purposes (%s)", req.Purpose, strings.Join(r.Purposes, ", "))
	}
	return nil
}

// Query selects records. Empty fields match everything; all set fields
// must match.
type Query struct {
	// Subject is an INN or PIN the exchange is about.
	Subject string
	// Officer matches the X-Road userId or the portal officer, in either
	// form: "21504197800123" and "KG21504197800123" find the same records
	// (see OfficerMatches).
	Officer string
	// Issue matches the X-Road issue (tender/lot).
	Issue string
	// MessageID matches the X-Road message id.
	MessageID string
	// Type restricts the record type.
	Type msglog.Type
	// From and To bound the record time (inclusive from, exclusive to).
	From, To time.Time
	// Group restricts the archive group (directory).
	Group string
}

// Match reports whether r matches q.
func (q *Query) Match(r *msglog.Record) bool {
	if r == nil {
		return false
	}
	if q.Type != "" && r.Type != q.Type {
		return false
	}
	if !q.From.IsZero() && r.Time.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !r.Time.Before(q.To) {
		return false
	}
	if q.Subject == "" && q.Officer == "" && q.Issue == "" && q.MessageID == "" {
		return true
	}
	ex := r.Exchange
	if ex == nil {
		return false
	}
	return (q.Subject == "" || slices.Contains(ex.Subjects, q.Subject)) &&
		(q.Officer == "" || OfficerMatches(q.Officer, ex)) &&
		(q.Issue == "" || ex.Issue == q.Issue) &&
		(q.MessageID == "" || ex.MessageID == q.MessageID)
}

// OfficerMatches reports whether the officer id q names the officer of ex:
// equal to its X-Road userId or its portal officer, or equal to them once
// a country prefix (leading letters before digits, "KG") is dropped from
// either side. Records written before the officer was kept separately
// carry only the userId; they are found by the bare PIN too.
func OfficerMatches(q string, ex *msglog.Exchange) bool {
	if q == "" {
		return false
	}
	if q == ex.UserID || q == ex.Officer {
		return true
	}
	pin := bareID(q)
	return pin != "" && (pin == bareID(ex.Officer) || pin == bareID(ex.UserID))
}

// bareID drops a country prefix of letters from an id made of digits
// after it ("KG21504197800123" → "21504197800123"); other values are
// returned unchanged, and "" stays "".
func bareID(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		i++
	}
	rest := s[i:]
	if rest == "" {
		return s
	}
	for j := 0; j < len(rest); j++ {
		if rest[j] < '0' || rest[j] > '9' {
			return s
		}
	}
	return rest
}

// fields describes a query for the read record.
func (q *Query) fields() []msglog.Field {
	var f []msglog.Field
	add := func(n, v string) {
		if v != "" {
			f = append(f, msglog.Field{Name: n, Value: v})
		}
	}
	add("subject", q.Subject)
	add("officer", q.Officer)
	add("issue", q.Issue)
	add("messageId", q.MessageID)
	add("type", string(q.Type))
	add("group", q.Group)
	if !q.From.IsZero() {
		add("from", q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		add("to", q.To.UTC().Format(time.RFC3339))
	}
	return f
}

// Appender is where reads are recorded: a *msglog.Log.
type Appender interface {
	Append(ctx context.Context, r *msglog.Record) (uint64, error)
}

// Reader serves reads of an archive directory under a policy, recording
// each one.
type Reader struct {
	Policy     Policy
	ArchiveDir string
	// Key decrypts archives encrypted at rest; nil when they are not.
	Key []byte
	// Journal receives one archive-read record per read.
	Journal Appender

	owned *msglog.Log // closed by Close when Open opened it
}

// Hit is one record found by Search.
type Hit struct {
	Archive   msglog.Archive
	Entry     string
	Container []byte // the signed ASiC-E container, verifiable on its own
	Record    *msglog.Record
}

// authorize records the attempt and returns its record id, or the denial.
func (rd *Reader) authorize(ctx context.Context, req Request, q *Query, extra ...msglog.Field) (string, error) {
	if rd.Journal == nil {
		return "", errors.New("access: no journal to record the read in")
	}
	deny := rd.Policy.Check(req)
	ev := &msglog.Event{Actor: req.User, Role: req.Role, Purpose: req.Purpose, Action: string(req.Action), Outcome: "ok"}
	if deny != nil {
		ev.Outcome = "denied"
		ev.Fields = append(ev.Fields, msglog.Field{Name: "reason", Value: deny.(*DeniedError).Reason})
	}
	if q != nil {
		ev.Fields = append(ev.Fields, q.fields()...)
	}
	ev.Fields = append(ev.Fields, extra...)
	seq, err := rd.Journal.Append(ctx, &msglog.Record{Type: msglog.TypeArchiveRead, Event: ev})
	if err != nil {
		return "", fmt.Errorf("access: could not record the read, so it is refused: %w", err)
	}
	if deny != nil {
		return msglog.ID(seq), deny
	}
	return msglog.ID(seq), nil
}

// List returns the archives, after recording the read.
func (rd *Reader) List(ctx context.Context, req Request) ([]msglog.Archive, string, error) {
	req.Action = ActionList
	id, err := rd.authorize(ctx, req, nil)
	if err != nil {
		return nil, id, err
	}
	as, err := msglog.ListArchives(rd.ArchiveDir)
	return as, id, err
}

// Search calls fn for each record matching q, after recording the read.
func (rd *Reader) Search(ctx context.Context, req Request, q Query, fn func(*Hit) error) (string, error) {
	if req.Action == "" {
		req.Action = ActionSearch
	}
	id, err := rd.authorize(ctx, req, &q)
	if err != nil {
		return id, err
	}
	return id, rd.scan(ctx, q, fn)
}

func (rd *Reader) scan(ctx context.Context, q Query, fn func(*Hit) error) error {
	as, err := msglog.ListArchives(rd.ArchiveDir)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Tombstone || (q.Group != "" && a.Group != q.Group) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := msglog.ReadArchive(a.Path, rd.Key, func(entry string, c []byte, r *msglog.Record) error {
			if !q.Match(r) {
				return nil
			}
			return fn(&Hit{Archive: a, Entry: entry, Container: c, Record: r})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Export writes the containers of the records matching q into w as a zip
// (each container keeps its signature, so `tunduk archive verify` checks
// it alone), after recording the read. It returns the number exported.
func (rd *Reader) Export(ctx context.Context, req Request, q Query, w io.Writer) (int, string, error) {
	req.Action = ActionExport
	id, err := rd.authorize(ctx, req, &q)
	if err != nil {
		return 0, id, err
	}
	zw := newExportZip(w)
	n := 0
	err = rd.scan(ctx, q, func(h *Hit) error {
		n++
		name := h.Entry
		if h.Archive.Group != "" {
			name = h.Archive.Group + "/" + name
		}
		return zw.add(name, h.Container)
	})
	if err != nil {
		return n, id, err
	}
	return n, id, zw.close(id, n)
}
