package verify

// Checkpoints held by a third party (a witness, a portal, an auditor)
// against the archives: each group's Merkle tree is recomputed from the
// archived records, streamed in chain order (leaf definition in
// signing/tlog), and every given checkpoint must be signed by the log key
// and be the archives' tree at its size. A history rewritten after a
// checkpoint was taken — even re-signed with the same key — has another
// root at that size; a dropped last archive leaves the tree shorter than
// the checkpoint. Memory per group is one compact range (at most 64
// hashes) and the roots asked for.

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/xmlguard"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// Codes of checkpoint checks (CheckpointReport.Code) and of a record whose
// leaf cannot be recomputed (a file problem).
const (
	// CodeCheckpointFormat: the file is not a signed checkpoint note.
	CodeCheckpointFormat = "Checkpoint.Format"
	// CodeCheckpointSignature: the checkpoint is not signed by the log
	// key (--cert, or else any certificate that signed the archives).
	CodeCheckpointSignature = "Checkpoint.Signature"
	// CodeCheckpointNoArchives: no archive group given is the checkpoint's
	// log (origin).
	CodeCheckpointNoArchives = "Checkpoint.NoArchives"
	// CodeCheckpointUnanchored: the group's archives do not start the log
	// (its first archive links to an earlier one), so the tree cannot be
	// recomputed from its first leaf.
	CodeCheckpointUnanchored = "Checkpoint.Unanchored"
	// CodeCheckpointMissingRecords: the archives hold fewer records than
	// the checkpoint covers: an archive was removed, or records are not
	// archived yet (rotate first).
	CodeCheckpointMissingRecords = "Checkpoint.MissingRecords"
	// CodeCheckpointRewritten: the archives' tree at the checkpoint's size
	// has another root: the history was changed after the checkpoint was
	// signed (even if re-signed with the same key).
	CodeCheckpointRewritten = "Checkpoint.Rewritten"
	// CodeLeaf: a record's leaf cannot be recomputed from its container(s)
	// (not a tunduk record, a body that does not match its recorded
	// digest, a side of an exchange missing).
	CodeLeaf = "Checkpoint.Leaf"
	// CodeFraming: a multipart body's framing kept in a format-3
	// container's tunduk-exchange.xml is malformed, or the body rebuilt
	// with it does not match the record's digest (the framing, message.xml
	// or an attachment was altered).
	CodeFraming = "Checkpoint.Framing"
)

// HeldCheckpoint is a signed checkpoint given to Paths and the file it
// came from.
type HeldCheckpoint struct {
	File   string
	Signed []byte
}

// CheckpointReport is the outcome for one held checkpoint.
type CheckpointReport struct {
	File   string `json:"file"`
	Origin string `json:"origin,omitempty"`
	// Group is the archive directory the checkpoint was checked against.
	Group string `json:"group,omitempty"`
	Size  uint64 `json:"size"`
	Root  string `json:"root,omitempty"` // hex
	// ArchiveSize and ArchiveRoot are the group's tree as recomputed from
	// its archives (records up to the first one that could not be read).
	ArchiveSize uint64 `json:"archiveSize"`
	ArchiveRoot string `json:"archiveRoot,omitempty"`
	// KeyPinned says the signature was checked with the given certificate
	// (else with the archives' own signing certificates).
	KeyPinned bool   `json:"keyPinned"`
	Valid     bool   `json:"valid"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
}

// recordPrefix starts a tunduk record document (signing/msglog's
// MarshalRecord); the seq attribute follows it in every archived copy.
const recordPrefix = `<record xmlns="https://tunduk.kg/xsd/msglog/1"`

// leafPart is what one container contributes to its record's leaf.
type leafPart struct {
	err  error
	code string // of err when not CodeLeaf
	seq  uint64
	cert *x509.Certificate
	// whole is set for a record in one container (format 1, or a record
	// that is not an exchange).
	whole *tlog.Leaf
	// For one side of a format-2 exchange: the record document's digest,
	// which side, and that side's body digest when the record keeps it.
	doc      [32]byte
	response bool
	body     *[32]byte
	needReq  bool // the record keeps the request body (attachment of the leaf)
	needResp bool
	version  int // the record's leaf version (tlog.LeafVersionOf)
}

// leafOf derives a container's part of its record's leaf. name is the
// container's entry name in the archive.
func (v *Verifier) leafOf(name string, data []byte) leafPart {
	c, err := v.entries.Read(data, v.opts.Limits)
	if err != nil {
		return leafPart{err: err}
	}
	var cert *x509.Certificate
	if sig, err := v.parseSignature(c.Signature); err == nil {
		cert = sig.Certificate
	}
	doc := c.Message
	var framing *asic.Framing
	if c.Exchange != nil {
		if doc, framing, err = asic.SplitExchange(c.Exchange); err != nil {
			return leafPart{err: fmt.Errorf("%s: %w", asic.EntryExchange, err), code: CodeFraming, cert: cert}
		}
	}
	seq, err := docSeq(doc)
	if err != nil {
		return leafPart{err: err, cert: cert}
	}
	if c.Exchange == nil { // format 1: message.xml and attachments as journaled
		var atts [][]byte
		for i := 1; ; i++ {
			a, ok := c.Attachments["attachment"+strconv.Itoa(i)]
			if !ok {
				break
			}
			atts = append(atts, a)
		}
		if len(atts) != len(c.Attachments) {
			return leafPart{err: errors.New("attachments are not numbered attachment1…n"), cert: cert}
		}
		l, err := tlog.RecordLeaf(seq, c.Message, atts...)
		if err != nil {
			return leafPart{err: err, cert: cert}
		}
		return leafPart{seq: seq, whole: &l, cert: cert}
	}
	// Formats 2 and 3: tunduk-exchange.xml is the record document with a
	// format attribute after the namespace (and in format 3 a multipart
	// side's framing after it); the leaf commits to it without.
	rec := withoutFormat(doc)
	x, err := parseExchange(rec)
	if err != nil {
		return leafPart{err: err, cert: cert}
	}
	p := leafPart{seq: seq, doc: sha256.Sum256(rec), cert: cert, needReq: x.Request.Body != "", needResp: x.Response.Body != "",
		version: tlog.LeafVersionOf(rec)}
	m := &x.Request
	switch {
	case strings.HasSuffix(name, "-response.asice"):
		p.response, m = true, &x.Response
	case !strings.HasSuffix(name, "-request.asice"):
		return leafPart{err: fmt.Errorf("exchange container named %q: neither -request nor -response", filepath.Base(name)), cert: cert}
	}
	if m.Body == "" {
		return p // metadata only: the body is not in the leaf
	}
	var atts [][]byte
	for i := 1; ; i++ {
		a, ok := c.Attachments["attachment"+strconv.Itoa(i)]
		if !ok {
			break
		}
		atts = append(atts, a)
	}
	side := "request"
	if p.response {
		side = "response"
	}
	var body []byte
	rest := x.Protocol == "rest"
	switch {
	case m.Size == "0" && !rest:
		body = []byte{} // an empty SOAP body: message.xml is X-Road's body-less form
	case framing != nil && !rest:
		if body, err = framing.Body(c.Message, atts); err != nil {
			return leafPart{err: fmt.Errorf("%s: %s side: %w", asic.EntryExchange, side, err), code: CodeFraming, cert: cert}
		}
	default:
		body = asic.Body(m.ContentType, rest, c.Message, atts)
	}
	if want := "SHA-512:" + b64sha512(body); m.Digest != want {
		if framing != nil {
			return leafPart{err: fmt.Errorf("the %s body rebuilt from message.xml, the attachments and the multipart framing in %s does not match the record's digest: one of them was altered", side, asic.EntryExchange), code: CodeFraming, cert: cert}
		}
		return leafPart{err: fmt.Errorf("the %s body rebuilt from the container does not match the record's digest (the container was altered, or it is a multipart body in a container format before 3, which keeps no framing and is rebuilt with Go's multipart writer)", side), cert: cert}
	}
	var d [32]byte // a version 2 leaf has no body digest: the check above binds the body to rec
	if p.version != tlog.LeafV2 {
		d = sha256.Sum256(body)
	}
	p.body = &d
	return p
}

// withoutFormat removes the format attribute (format="2", format="3")
// that a format-2 or later container's tunduk-exchange.xml carries right
// after the record element's namespace.
func withoutFormat(doc []byte) []byte {
	i := bytes.Index(doc, []byte(recordPrefix))
	if i < 0 {
		return doc
	}
	j := i + len(recordPrefix)
	const attr = ` format="N"`
	if len(doc) < j+len(attr) || !bytes.HasPrefix(doc[j:], []byte(attr[:9])) || doc[j+9] < '2' || doc[j+9] > '9' || doc[j+10] != '"' {
		return doc
	}
	out := make([]byte, 0, len(doc)-len(attr))
	return append(append(out, doc[:j]...), doc[j+len(attr):]...)
}

func b64sha512(b []byte) string {
	s := sha512.Sum512(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// docSeq reads the seq attribute of a record document.
func docSeq(doc []byte) (uint64, error) {
	i := bytes.Index(doc, []byte(recordPrefix))
	if i < 0 || i > 64 {
		return 0, errors.New("not a tunduk record (no <record> document): the tree covers tunduk's records only")
	}
	rest := withoutFormat(doc[i:])[len(recordPrefix):]
	v, ok := bytes.CutPrefix(rest, []byte(` seq="`))
	if !ok {
		return 0, errors.New("record document has no seq attribute")
	}
	end := bytes.IndexByte(v, '"')
	if end < 1 || end > 20 {
		return 0, errors.New("record document has a malformed seq attribute")
	}
	seq, err := strconv.ParseUint(string(v[:end]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("record document seq: %w", err)
	}
	return seq, nil
}

type xmessage struct {
	ContentType string `xml:"contentType,attr"`
	Digest      string `xml:"digest,attr"`
	Body        string `xml:"body,attr"`
	Size        string `xml:"size,attr"`
}

type xexchange struct {
	Protocol string   `xml:"protocol,attr"`
	Request  xmessage `xml:"request"`
	Response xmessage `xml:"response"`
}

func parseExchange(doc []byte) (*xexchange, error) {
	if err := xmlguard.Check(doc, xmlguard.Limits{}); err != nil {
		return nil, fmt.Errorf("%s: %w", asic.EntryExchange, err)
	}
	var r struct {
		Exchange *xexchange `xml:"exchange"`
	}
	if err := xml.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", asic.EntryExchange, err)
	}
	if r.Exchange == nil {
		return nil, fmt.Errorf("%s holds no exchange", asic.EntryExchange)
	}
	return r.Exchange, nil
}

var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// treeAcc recomputes one group's tree from its records in chain order.
type treeAcc struct {
	group   string
	rng     *compact.Range
	want    map[uint64]bool
	roots   map[uint64][]byte
	pending *leafPart // the request side of an exchange, waiting for its response
	// stop is why leaves stopped being derivable (the tree is then only
	// known up to rng.End()).
	stop       string
	stopCode   string
	unanchored string
	started    bool
	certs      []*x509.Certificate
}

func newTreeAcc(group string, sizes []uint64) *treeAcc {
	a := &treeAcc{group: group, rng: rangeFactory.NewEmptyRange(0), want: map[uint64]bool{}, roots: map[uint64][]byte{}}
	for _, s := range sizes {
		a.want[s] = true
	}
	a.roots[0] = rfc6962.DefaultHasher.EmptyRoot()
	return a
}

func (a *treeAcc) append(l tlog.Leaf) {
	if err := a.rng.Append(l.Hash(), nil); err != nil {
		a.halt(CodeLeaf, err.Error())
		return
	}
	if n := a.rng.End(); a.want[n] {
		r, err := a.rng.GetRootHash(nil)
		if err != nil {
			a.halt(CodeLeaf, err.Error())
			return
		}
		a.roots[n] = r
	}
}

func (a *treeAcc) halt(code, msg string) {
	if a.stop == "" {
		a.stop, a.stopCode = msg, code
	}
}

// add feeds one container's part; it returns a problem for the file when
// the container's leaf cannot be derived (once per group).
func (a *treeAcc) add(path, name string, p leafPart) *Problem {
	if p.cert != nil && len(a.certs) < 16 && !hasCert(a.certs, p.cert) {
		a.certs = append(a.certs, p.cert)
	}
	if a.stop != "" {
		return nil
	}
	if p.err != nil {
		a.flush()
		msg := fmt.Sprintf("%s: %s: the leaf of the record after leaf %d cannot be recomputed: %v", filepath.Base(path), name, a.rng.End(), p.err)
		code := CodeLeaf
		if p.code != "" {
			code = p.code
		}
		a.halt(code, msg)
		return &Problem{File: path, Container: name, Code: code, Message: "the record's leaf cannot be recomputed: " + p.err.Error(), Err: p.err}
	}
	if a.pending != nil && p.whole == nil && p.response && p.seq == a.pending.seq && p.doc == a.pending.doc {
		q := a.pending
		a.pending = nil
		a.exchange(q, &p)
		return nil
	}
	a.flush()
	switch {
	case p.whole != nil:
		a.append(*p.whole)
	case p.response:
		a.exchange(nil, &p)
	default:
		a.pending = &p
	}
	return nil
}

// exchange appends the leaf of a format-2 exchange from its sides.
func (a *treeAcc) exchange(req, resp *leafPart) {
	side := req
	if side == nil {
		side = resp
	}
	// Both sides' containers are required in either leaf version: a
	// version 2 leaf hashes the record document alone, but each side's
	// body was checked above against the digest the document records.
	l := tlog.Leaf{Version: side.version, Seq: side.seq, MessageDigest: side.doc}
	v1 := side.version != tlog.LeafV2
	if side.needReq {
		if req == nil || req.body == nil {
			a.halt(CodeLeaf, fmt.Sprintf("record %d: the request container is missing", side.seq))
			return
		}
		if v1 {
			l.AttachmentDigests = append(l.AttachmentDigests, *req.body)
		}
	}
	if side.needResp {
		if resp == nil || resp.body == nil {
			a.halt(CodeLeaf, fmt.Sprintf("record %d: the response container is missing", side.seq))
			return
		}
		if v1 {
			l.AttachmentDigests = append(l.AttachmentDigests, *resp.body)
		}
	}
	a.append(l)
}

// flush completes an exchange that has no response container.
func (a *treeAcc) flush() {
	if q := a.pending; q != nil {
		a.pending = nil
		a.exchange(q, nil)
	}
}

func hasCert(cs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range cs {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// peekCheckpoint reads the origin and size of a checkpoint note before
// its signature is checked (the key may come from the archives).
func peekCheckpoint(b []byte) (string, uint64, error) {
	if len(b) > tlog.MaxCheckpointSize {
		return "", 0, fmt.Errorf("%d bytes, at most %d", len(b), tlog.MaxCheckpointSize)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 3 || lines[0] == "" {
		return "", 0, errors.New("not a checkpoint note (origin, size, root hash lines)")
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("tree size %q", lines[1])
	}
	return lines[0], n, nil
}

// matchGroup finds the archive group (directory) of a checkpoint origin:
// a group's checkpoints are "<log origin>/<member id>" and its archives
// sit in a directory named by the member id with '/' as '_'; an
// ungrouped log has one directory.
func matchGroup(origin string, groups []string) string {
	flat := strings.ReplaceAll(origin, "/", "_")
	best := ""
	for _, g := range groups {
		b := filepath.Base(g)
		if strings.HasSuffix(flat, "_"+b) && len(b) > len(filepath.Base(best)) {
			best = g
		}
	}
	if best == "" && len(groups) == 1 {
		best = groups[0]
	}
	return best
}

// checkpointSetup parses the held checkpoints' origins and sizes and
// assigns them to groups; it returns the reports and the accumulators.
func checkpointSetup(held []HeldCheckpoint, groupNames []string) ([]*CheckpointReport, map[string]*treeAcc, map[*CheckpointReport][]byte) {
	var reps []*CheckpointReport
	sizes := map[string][]uint64{}
	signed := map[*CheckpointReport][]byte{}
	for _, h := range held {
		r := &CheckpointReport{File: h.File}
		reps = append(reps, r)
		origin, size, err := peekCheckpoint(h.Signed)
		if err != nil {
			r.Code, r.Message = CodeCheckpointFormat, err.Error()
			continue
		}
		r.Origin, r.Size = origin, size
		r.Group = matchGroup(origin, groupNames)
		if r.Group == "" {
			r.Code = CodeCheckpointNoArchives
			r.Message = fmt.Sprintf("no archive directory given is the log %q (give the directory of its group's archives)", origin)
			continue
		}
		sizes[r.Group] = append(sizes[r.Group], size)
		signed[r] = h.Signed
	}
	accs := map[string]*treeAcc{}
	for g, s := range sizes {
		accs[g] = newTreeAcc(g, s)
	}
	return reps, accs, signed
}

// finish checks the group's checkpoints against its recomputed tree.
func (a *treeAcc) finish(reps []*CheckpointReport, signed map[*CheckpointReport][]byte, key crypto.PublicKey) {
	a.flush()
	if !a.started && a.unanchored == "" {
		a.unanchored = "no archive of the group starts the log (linkinginfo prev \"-\")"
	}
	root, _ := a.rng.GetRootHash(nil)
	if a.rng.End() == 0 {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	for _, r := range reps {
		sb, ok := signed[r]
		if !ok || r.Group != a.group {
			continue
		}
		r.ArchiveSize, r.ArchiveRoot = a.rng.End(), hex.EncodeToString(root)
		r.KeyPinned = key != nil
		cp, err := checkCheckpointSig(sb, r.Origin, key, a.certs)
		if err != nil {
			r.Code, r.Message = CodeCheckpointSignature, err.Error()
			if errors.Is(err, tlog.ErrCheckpointFormat) {
				r.Code = CodeCheckpointFormat
			}
			continue
		}
		r.Root = hex.EncodeToString(cp.Root)
		switch got, ok := a.roots[cp.Size]; {
		case a.unanchored != "":
			r.Code = CodeCheckpointUnanchored
			r.Message = a.unanchored + "; the tree can only be recomputed from the log's first archive"
		case ok && !bytes.Equal(got, cp.Root):
			r.Code = CodeCheckpointRewritten
			r.Message = fmt.Sprintf("the archives' tree of %d records has root %x…, the checkpoint signed %x…: the history was changed after this checkpoint was taken, even if signed with the log key", cp.Size, got[:8], cp.Root[:8])
		case ok:
			r.Valid = true
		case a.stop != "" && cp.Size > a.rng.End():
			r.Code, r.Message = a.stopCode, a.stop
		default:
			r.Code = CodeCheckpointMissingRecords
			r.Message = fmt.Sprintf("the checkpoint covers %d records, the archives hold %d: records are missing (an archive was removed) or not archived yet (rotate, then verify again)", cp.Size, a.rng.End())
		}
	}
}

// checkCheckpointSig checks the note's signature with key, or else with
// any certificate that signed the group's archives.
func checkCheckpointSig(signed []byte, origin string, key crypto.PublicKey, certs []*x509.Certificate) (*tlog.Checkpoint, error) {
	if key != nil {
		return tlog.ParseCheckpoint(signed, origin, key)
	}
	if len(certs) == 0 {
		return nil, errors.New("no key to check the checkpoint with: give --cert (the archives hold no signing certificate)")
	}
	var first error
	for _, c := range certs {
		cp, err := tlog.ParseCheckpoint(signed, origin, c.PublicKey)
		if err == nil {
			return cp, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, fmt.Errorf("%w (checked with the archives' signing certificates; give --cert to pin the key)", first)
}

// sortCheckpointReports orders reports by file for stable output.
func sortCheckpointReports(reps []*CheckpointReport) {
	sort.SliceStable(reps, func(i, j int) bool { return reps[i].File < reps[j].File })
}
