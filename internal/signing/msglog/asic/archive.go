package asic

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"path"
	"strings"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// Linking digest algorithms X-Road allows in linkinginfo.
var linkHashes = map[string]crypto.Hash{
	"SHA-256": crypto.SHA256,
	"SHA-384": crypto.SHA384,
	"SHA-512": crypto.SHA512,
}

func hashName(h crypto.Hash) (string, error) {
	for n, hh := range linkHashes {
		if hh == h {
			return n, nil
		}
	}
	return "", fmt.Errorf("asic: unsupported linking hash %v", h)
}

// Link computes the next linking digest: hex(H(prev + hex(H(container)))),
// hex in lower case, prev "" for the first container of a first archive.
func Link(h crypto.Hash, prev string, container []byte) string {
	hh := h.New()
	hh.Write(container)
	return LinkDigest(h, prev, hh.Sum(nil))
}

// LinkDigest is Link for a container whose digest is already known.
func LinkDigest(h crypto.Hash, prev string, containerDigest []byte) string {
	hh := h.New()
	io.WriteString(hh, prev)
	io.WriteString(hh, hex.EncodeToString(containerDigest))
	return hex.EncodeToString(hh.Sum(nil))
}

// ArchiveOptions configure an ArchiveWriter.
type ArchiveOptions struct {
	// PrevDigest is the last linking digest of the previous archive (hex);
	// "" starts a new chain.
	PrevDigest string
	// PrevName is the previous archive's file name; "" for none.
	PrevName string
	// Hash is the linking hash; default SHA-512 (X-Road's).
	Hash crypto.Hash
	// Time is the entries' modification time; zero means now.
	Time time.Time
	// Comment is the archive's zip comment (tunduk states its container
	// format there); X-Road's tools ignore it.
	Comment string
	// Store writes every container STORED, without trying deflate: the
	// fastest archiving, for logs whose disk is cheaper than their CPU.
	Store bool
}

// ArchiveWriter writes an mlog archive: containers as *.asice entries in
// the order added, then the linkinginfo entry. It is not safe for
// concurrent use.
type ArchiveWriter struct {
	zw      *zipWriter
	comment string
	h       crypto.Hash
	t       time.Time
	// info holds linkinginfo: it grows by a line per container and is
	// written at Close.
	info chunks
	// last is the last linking digest in hex; lastS is it as a string
	// while it is current.
	last  []byte
	lastS string
	// lastName is the last container's name: names arriving in
	// increasing order (as msglog's do) need no set to be unique; names
	// is built from linkinginfo at the first out of order.
	lastName string
	names    map[string]bool
	hh       hash.Hash // the linking hash, reused
	sum      []byte
	store    bool
	n        int
	comp     bytes.Buffer  // a container deflated, before choosing
	fw       *flate.Writer // reused for every container
}

// NewArchiveWriter starts an archive on w.
func NewArchiveWriter(w io.Writer, opts ArchiveOptions) (*ArchiveWriter, error) {
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA512
	}
	name, err := hashName(h)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(opts.PrevName, " \r\n") || strings.ContainsAny(opts.PrevDigest, " \r\n") {
		return nil, errors.New("asic: previous archive name and digest must not contain spaces or newlines")
	}
	a := &ArchiveWriter{zw: newZipWriter(w), comment: opts.Comment, h: h, t: opts.Time, lastS: strings.ToLower(opts.PrevDigest), hh: h.New(), store: opts.Store}
	a.last = []byte(a.lastS)
	if a.t.IsZero() {
		a.t = time.Now()
	}
	if len(opts.Comment) > uint16max {
		return nil, errors.New("asic: archive comment too long")
	}
	field := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	first := field(a.lastS) + " " + field(opts.PrevName) + " " + name + "\n"
	c := a.info.room(len(first))
	*c = append(*c, first...)
	return a, nil
}

// Add appends one container under name (which must end in ".asice" and be
// unique in the archive) and returns its linking digest.
func (a *ArchiveWriter) Add(name string, container []byte) (string, error) {
	hh := a.h.New()
	hh.Write(container)
	return a.AddDigest(name, container, hh.Sum(nil))
}

// AddDigest is Add for a container whose digest under the linking hash
// (SHA-512 unless ArchiveOptions.Hash says otherwise) the caller computed.
func (a *ArchiveWriter) AddDigest(name string, container, digest []byte) (string, error) {
	if err := a.add(name, container, digest, crc32.ChecksumIEEE(container)); err != nil {
		return "", err
	}
	return a.LastDigest(), nil
}

// AddSummed is AddDigest for a container whose CRC-32 (IEEE) the caller
// computed too (msglog computes both beside the build, on all cores). It
// does not return the linking digest: LastDigest does.
func (a *ArchiveWriter) AddSummed(name string, container, digest []byte, crc uint32) error {
	return a.add(name, container, digest, crc)
}

func (a *ArchiveWriter) add(name string, container, digest []byte, crc uint32) error {
	if !strings.HasSuffix(name, ".asice") || strings.ContainsAny(name, " \r\n/\\") || a.seen(name) {
		return fmt.Errorf("asic: bad or repeated container name %q", name)
	}
	if len(digest) != a.h.Size() {
		return fmt.Errorf("asic: container digest of %d bytes, want %v's %d", len(digest), a.h, a.h.Size())
	}
	if err := a.put(name, container, crc); err != nil {
		return err
	}
	if a.names != nil {
		a.names[name] = true
	}
	a.lastName = name
	a.n++
	// The linking digest, hex(H(last + hex(digest))) as LinkDigest.
	a.hh.Reset()
	a.hh.Write(a.last)
	a.sum = hex.AppendEncode(a.sum[:0], digest)
	a.hh.Write(a.sum)
	a.sum = a.hh.Sum(a.sum[:0])
	a.last = hex.AppendEncode(a.last[:0], a.sum)
	a.lastS = ""
	c := a.info.room(len(a.last) + len(name) + 2)
	*c = append(*c, a.last...)
	*c = append(*c, ' ')
	*c = append(*c, name...)
	*c = append(*c, '\n')
	return nil
}

// seen reports whether name was added before: at once while the names
// arrive in increasing order, else through a set of them.
func (a *ArchiveWriter) seen(name string) bool {
	if a.names == nil {
		if a.n == 0 || name > a.lastName {
			return false
		}
		a.names = make(map[string]bool, a.n)
		first := true // the first line: prev digest, name, hash
		for _, c := range a.info {
			for len(c) > 0 {
				var line []byte
				line, c, _ = bytes.Cut(c, []byte{'\n'})
				if _, n, ok := bytes.Cut(line, []byte{' '}); ok && !first {
					a.names[string(n)] = true
				}
				first = false
			}
		}
	}
	return a.names[name]
}

// put writes one container entry. A container is a zip of entries that
// are mostly deflated already: deflating it again saves little but its
// headers, yet costs every verifier an inflate as long as the one of its
// message. So a container is STORED when deflate saves less than 1/32 of
// it (large messages), and DEFLATED otherwise (small ones, where the
// headers weigh), as X-Road's zlib falls back to stored blocks.
func (a *ArchiveWriter) put(name string, container []byte, crc uint32) error {
	if a.store {
		return a.zw.raw(name, zip.Store, container, crc, len(container), a.t)
	}
	a.comp.Reset()
	if a.fw == nil {
		// BestSpeed: several times faster than the default level for a
		// few per cent of size; each container is compressed once.
		a.fw, _ = flate.NewWriter(&a.comp, flate.BestSpeed)
	} else {
		a.fw.Reset(&a.comp)
	}
	if _, err := a.fw.Write(container); err != nil {
		return fmt.Errorf("asic: compressing %s: %w", name, err)
	}
	if err := a.fw.Close(); err != nil {
		return fmt.Errorf("asic: compressing %s: %w", name, err)
	}
	if a.comp.Len() > len(container)-len(container)/32 {
		return a.zw.raw(name, zip.Store, container, crc, len(container), a.t)
	}
	return a.zw.raw(name, zip.Deflate, a.comp.Bytes(), crc, len(container), a.t)
}

// Len is the number of containers added.
func (a *ArchiveWriter) Len() int { return a.n }

// LastDigest is the linking digest of the last container added (or the
// previous archive's, before any): what the next archive links to.
func (a *ArchiveWriter) LastDigest() string {
	if a.lastS == "" {
		a.lastS = string(a.last)
	}
	return a.lastS
}

// Close writes linkinginfo and finishes the zip. It returns the last
// linking digest. The underlying writer is not closed.
func (a *ArchiveWriter) Close() (string, error) {
	if a.n == 0 {
		return "", errors.New("asic: an archive needs at least one container")
	}
	// linkinginfo (a line per container) is deflated at the fastest
	// level: at the default level it cost a rotation 4 µs per container.
	bestSpeed := func(w io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(w, kflate.BestSpeed) }
	if err := a.zw.streamed(EntryLinkingInfo, zip.Deflate, a.t, bestSpeed, a.info); err != nil {
		return "", err
	}
	if err := a.zw.close(a.comment); err != nil {
		return "", fmt.Errorf("asic: %w", err)
	}
	return a.LastDigest(), nil
}

// ArchiveName is X-Road's archive file name:
// mlog-<first>-<last>-<first 16 hex of the last digest>.zip, with times as
// yyyyMMddHHmmss in their own location.
func ArchiveName(first, last time.Time, lastDigest string) string {
	d := lastDigest
	if len(d) > 16 {
		d = d[:16]
	}
	return "mlog-" + first.Format("20060102150405") + "-" + last.Format("20060102150405") + "-" + d + ".zip"
}

// ContainerName is X-Road's container entry name:
// <queryId>-<request|response>-<suffix>.asice, with characters that are
// unsafe in file names replaced by '_'.
func ContainerName(queryID string, response bool, suffix string) string {
	kind := "request"
	if response {
		kind = "response"
	}
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(` /\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, queryID)
	return clean + "-" + kind + "-" + suffix + ".asice"
}

// LinkingInfo is a parsed linkinginfo entry.
type LinkingInfo struct {
	PrevDigest string // "" when "-"
	PrevName   string // "" when "-"
	Hash       crypto.Hash
	HashName   string // "SHA-512", …
	Entries    []LinkingEntry
}

// LinkingEntry is one "<digest> <name>" line.
type LinkingEntry struct {
	Digest string
	Name   string
}

// ParseLinkingInfo parses a linkinginfo entry (lines separated by \n or
// \r\n, trailing newline allowed).
func ParseLinkingInfo(data []byte) (*LinkingInfo, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	li := &LinkingInfo{}
	first := true
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if first {
			first = false
			f := strings.Split(line, " ")
			if len(f) != 3 {
				return nil, errf(CodeMalformedLinkingInfo, "", "first line %q is not '<prevDigest> <prevName> <algorithm>'", line)
			}
			h, ok := linkHashes[f[2]]
			if !ok {
				return nil, errf(CodeMalformedLinkingInfo, "", "unsupported digest algorithm %q", f[2])
			}
			li.Hash, li.HashName = h, f[2]
			if f[0] != "-" {
				li.PrevDigest = f[0]
			}
			if f[1] != "-" {
				li.PrevName = f[1]
			}
			continue
		}
		if line == "" {
			continue
		}
		d, n, ok := strings.Cut(line, " ")
		if !ok || d == "" || n == "" {
			return nil, errf(CodeMalformedLinkingInfo, "", "line %q is not '<digest> <entry>'", line)
		}
		li.Entries = append(li.Entries, LinkingEntry{Digest: d, Name: n})
	}
	if err := sc.Err(); err != nil {
		return nil, errf(CodeMalformedLinkingInfo, "", "%v", err)
	}
	if first {
		return nil, errf(CodeMalformedLinkingInfo, "", "linkinginfo is empty")
	}
	return li, nil
}

// Archive is an opened mlog archive. Containers are read on demand.
type Archive struct {
	Linking    *LinkingInfo
	Containers []*zip.File // the *.asice entries, in zip order
	lim        Limits
}

// OpenArchive opens archive zip data held in r (size bytes) and parses its
// linkinginfo. It fails with NoLinkingInfo or NoContainers as X-Road's
// archive verifier does.
func OpenArchive(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, errf(CodeInvalidLogArchive, "", "not a zip file: %v", err)
	}
	if len(zr.File) > lim.entries() {
		return nil, errf(CodeTooLarge, "", "%d entries", len(zr.File))
	}
	a := &Archive{lim: lim}
	var info *zip.File
	for _, f := range zr.File {
		switch {
		case f.Name == EntryLinkingInfo:
			info = f
		case strings.HasSuffix(f.Name, ".asice"):
			a.Containers = append(a.Containers, f)
		}
	}
	if info == nil {
		return nil, errf(CodeNoLinkingInfo, "", "archive has no linkinginfo")
	}
	b, err := readEntry(info, 64<<20, lim.inflateRatio())
	if err != nil {
		return nil, err
	}
	if a.Linking, err = ParseLinkingInfo(b); err != nil {
		return nil, err
	}
	if len(a.Containers) == 0 {
		return nil, errf(CodeNoContainers, "", "archive has no .asice containers")
	}
	return a, nil
}

// ReadContainer returns the bytes of container entry f.
func (a *Archive) ReadContainer(f *zip.File) ([]byte, error) {
	return readEntry(f, a.lim.entrySize(), a.lim.inflateRatio())
}

// Linker checks an archive's linking chain incrementally, one container at
// a time in zip order, so a verifier can hash each container once for
// both the chain and its own checks.
type Linker struct {
	li   *LinkingInfo
	want map[string]string
	last string
	seen map[string]bool
}

// NewLinker starts checking a's chain. prev is the previous archive's last
// digest as the caller knows it; first=true means the archive must start
// a chain (like X-Road's -f); with prev "" and first false the archive's
// own stated prev digest is taken on trust.
func (a *Archive) NewLinker(prev string, first bool) (*Linker, error) {
	li := a.Linking
	switch {
	case first && li.PrevDigest != "":
		return nil, errf(CodePrevDigestMismatch, "", "archive links to %s but was given as the first", short(li.PrevDigest))
	case prev != "" && !strings.EqualFold(prev, li.PrevDigest):
		return nil, errf(CodePrevDigestMismatch, "", "archive links to %s, previous archive ended with %s", short(li.PrevDigest), short(prev))
	}
	l := &Linker{li: li, want: map[string]string{}, last: li.PrevDigest, seen: map[string]bool{}}
	for _, e := range li.Entries {
		l.want[e.Name] = e.Digest
	}
	var missing []string
	names := map[string]bool{}
	for _, f := range a.Containers {
		names[f.Name] = true
		if _, ok := l.want[f.Name]; !ok {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return nil, errf(CodeEntriesMismatch, missing[0], "container not listed in linkinginfo (%d such)", len(missing))
	}
	for _, e := range li.Entries {
		if !names[e.Name] {
			return nil, errf(CodeEntriesMismatch, e.Name, "linkinginfo lists a container the archive does not hold")
		}
	}
	return l, nil
}

// Hash is the linking hash function.
func (l *Linker) Hash() crypto.Hash { return l.li.Hash }

// Next takes the next container (in zip order) by name and the digest of
// its bytes under Hash, and checks its linking digest.
func (l *Linker) Next(name string, containerDigest []byte) error {
	if l.seen[name] {
		return errf(CodeEntriesMismatch, name, "container appears twice")
	}
	l.seen[name] = true
	l.last = LinkDigest(l.li.Hash, l.last, containerDigest)
	if !strings.EqualFold(l.want[name], l.last) {
		return errf(CodeDigestMismatch, name, "linking digest differs from linkinginfo")
	}
	return nil
}

// Last is the last linking digest computed so far: after every container,
// what the next archive must link to.
func (l *Linker) Last() string { return l.last }

func short(d string) string {
	if d == "" {
		return "nothing (first archive)"
	}
	if len(d) > 16 {
		return d[:16] + "…"
	}
	return d
}

// IsArchiveName reports whether a file name looks like an mlog archive.
func IsArchiveName(name string) bool {
	b := path.Base(name)
	return strings.HasPrefix(b, "mlog") && strings.HasSuffix(b, ".zip")
}
