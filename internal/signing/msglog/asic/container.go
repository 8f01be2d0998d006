package asic

import (
	"archive/zip"
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// ContainerInput is what one log record's container holds.
type ContainerInput struct {
	Message     []byte   // message.xml
	Attachments [][]byte // attachment1, attachment2, …
	// Exchange is tunduk's exchange metadata (EntryExchange), or nil.
	Exchange []byte
	// Signature, HashChainResult and HashChain come from seal.SignBatch
	// (seal.Seal); the hash chain pair is nil for a directly signed record.
	Signature       []byte
	HashChainResult []byte
	HashChain       []byte
	// Timestamp is the record's batch time-stamp from seal.StampBatch, or
	// nil when the record is not stamped or its token is embedded in
	// Signature.
	Timestamp *seal.Timestamp
	// Time is the record's creation time, used as the entries' modification
	// time; zero means now.
	Time time.Time
	// SharedTime is the modification time a Packer gives mimetype and
	// the entries a batch's containers share (the batch's time, so that
	// their bytes are alike); zero means Time. Write ignores it.
	SharedTime time.Time
	// Stored writes every entry STORED: for containers that go into an
	// archive, which compresses each container once as a whole
	// (ArchiveWriter), instead of deflating each entry and then the
	// container again.
	Stored bool
}

// Build returns the ASiC-E container for in as zip bytes.
func Build(in ContainerInput) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the ASiC-E container for in to w. mimetype is the first
// entry and STORED, as ETSI requires; the other entries follow X-Road's
// order.
func Write(w io.Writer, in ContainerInput) error {
	if len(in.Message) == 0 {
		return errf(CodeMessageNotFound, "", "container needs a message")
	}
	if len(in.Signature) == 0 {
		return errf(CodeSignatureNotFound, "", "container needs a signature")
	}
	if (in.HashChainResult == nil) != (in.HashChain == nil) {
		return errors.New("asic: HashChainResult and HashChain go together")
	}
	t := in.Time
	if t.IsZero() {
		t = time.Now()
	}
	zw := zip.NewWriter(w)
	if err := zw.SetComment("mimetype=" + MimeType); err != nil {
		return err
	}
	put := func(name string, data []byte, method uint16) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: t})
		if err != nil {
			return fmt.Errorf("asic: %s: %w", name, err)
		}
		_, err = f.Write(data)
		return err
	}
	type entry struct {
		name string
		data []byte
	}
	entries := []entry{
		{EntryMimetype, []byte(MimeType)},
		{EntryMessage, in.Message},
		{EntrySignature, in.Signature},
		{EntrySigHashChainRes, in.HashChainResult},
		{EntrySigHashChain, in.HashChain},
		{EntryExchange, in.Exchange},
	}
	if ts := in.Timestamp; ts != nil {
		if len(ts.Token) == 0 || len(ts.HashChainResult) == 0 || len(ts.HashChain) == 0 {
			return errors.New("asic: a batch time-stamp needs Token, HashChainResult and HashChain")
		}
		entries = append(entries,
			entry{EntryTSHashChainResult, ts.HashChainResult},
			entry{EntryTSHashChain, ts.HashChain})
	}
	var names []string
	for _, e := range entries[1:] {
		if e.data != nil && !strings.HasPrefix(e.name, "META-INF/") {
			names = append(names, e.name)
		}
	}
	entries = append(entries, entry{EntryManifest, manifest(names, len(in.Attachments))})
	if ts := in.Timestamp; ts != nil {
		entries = append(entries,
			entry{EntryASiCManifest, asicManifest(ts.HashChainResult)},
			entry{EntryTimestamp, ts.Token})
	}
	// mimetype: first, STORED, no data descriptor (ETSI TS 102 918 §A.1).
	if err := putStored(zw, entries[0].name, entries[0].data, t); err != nil {
		return err
	}
	if in.Stored {
		put = func(name string, data []byte, _ uint16) error { return putStored(zw, name, data, t) }
	}
	for _, e := range entries[1:] {
		if e.data == nil {
			continue
		}
		if err := put(e.name, e.data, zip.Deflate); err != nil {
			return err
		}
	}
	for i, a := range in.Attachments {
		if err := put(attachmentPrefix+strconv.Itoa(i+1), a, zip.Deflate); err != nil {
			return err
		}
	}
	return zw.Close()
}

func manifest(names []string, attachments int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">` + "\n")
	b.WriteString(`    <manifest:file-entry manifest:media-type="` + MimeType + `" manifest:full-path="/"/>` + "\n")
	for _, n := range names {
		b.WriteString(`    <manifest:file-entry manifest:media-type="text/xml" manifest:full-path="` + n + `"/>` + "\n")
	}
	for i := 1; i <= attachments; i++ {
		b.WriteString(`    <manifest:file-entry manifest:media-type="application/octet-stream" manifest:full-path="` + attachmentPrefix + strconv.Itoa(i) + `"/>` + "\n")
	}
	b.WriteString(`</manifest:manifest>`)
	return []byte(b.String())
}

func asicManifest(tsResult []byte) []byte {
	d := sha512.Sum512(tsResult)
	return []byte(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n" +
		`<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">` + "\n" +
		`<asic:SigReference MimeType="application/vnd.etsi.timestamp-token" URI="` + EntryTimestamp + `"/>` + "\n" +
		`<asic:DataObjectReference MimeType="text/xml" URI="` + EntryTSHashChainResult + `">` + "\n" +
		`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>` + "\n" +
		`<ds:DigestValue>` + base64.StdEncoding.EncodeToString(d[:]) + `</ds:DigestValue>` + "\n" +
		`</asic:DataObjectReference>` + "\n" +
		`</asic:ASiCManifest>`)
}

// Container is a read ASiC-E container. Fields are nil for absent entries.
type Container struct {
	Message            []byte
	Signature          []byte
	SigHashChainResult []byte
	SigHashChain       []byte
	TSHashChainResult  []byte
	TSHashChain        []byte
	Timestamp          []byte // META-INF/timestamp.tst
	Manifest           []byte
	ASiCManifest       []byte
	// Attachments maps attachment entry names ("attachment1") to bytes.
	Attachments map[string][]byte
	// Exchange is tunduk's exchange metadata (format 2), or nil.
	Exchange []byte
	// Names lists every entry in zip order.
	Names []string
}

// entryNames lists the entries a container may hold by name (attachments
// aside), in the order of Container.fields.
var entryNames = [...]string{
	EntryMimetype, EntryMessage, EntrySignature,
	EntrySigHashChainRes, EntrySigHashChain,
	EntryTSHashChainResult, EntryTSHashChain,
	EntryManifest, EntryASiCManifest, EntryTimestamp,
	EntryExchange,
}

// fields are the places entryNames are kept; mimetype is not kept in the
// Container.
func (c *Container) fields(mimetype *[]byte) [len(entryNames)]*[]byte {
	return [...]*[]byte{
		mimetype, &c.Message, &c.Signature,
		&c.SigHashChainResult, &c.SigHashChain,
		&c.TSHashChainResult, &c.TSHashChain,
		&c.Manifest, &c.ASiCManifest, &c.Timestamp,
		&c.Exchange,
	}
}

// slot is where the entry called name is kept, nil for an attachment or
// an unknown name.
func (c *Container) slot(name string, mimetype *[]byte) *[]byte {
	for i, n := range entryNames {
		if n == name {
			return c.fields(mimetype)[i]
		}
	}
	return nil
}

// Read parses container zip bytes and checks that the parts X-Road
// requires are there, with X-Road's codes: AsicMimeTypeNotFound (also for
// data that is not a zip), AsicInvalidMimeType, AsicMessageNotFound,
// AsicSignatureNotFound, AsicHashChainResultNotFound, AsicHashChainNotFound.
func Read(data []byte, lim Limits) (*Container, error) {
	return read(data, lim, nil)
}

func read(data []byte, lim Limits, cache *Cache) (*Container, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errf(CodeMimeTypeNotFound, "", "not a zip file: %v", err)
	}
	if len(zr.File) > lim.entries() {
		return nil, errf(CodeTooLarge, "", "%d entries", len(zr.File))
	}
	c := &Container{Attachments: map[string][]byte{}}
	var mimetype []byte
	var total uint64
	for _, f := range zr.File {
		if c.slot(f.Name, &mimetype) != nil || strings.HasPrefix(f.Name, attachmentPrefix) {
			total += min(f.UncompressedSize64, uint64(lim.entrySize())+1) // no overflow
		}
	}
	if total > uint64(lim.totalSize()) {
		return nil, errf(CodeTooLarge, "", "entries declare %d bytes, over the limit of %d", total, lim.totalSize())
	}
	for _, f := range zr.File {
		c.Names = append(c.Names, f.Name)
		isAtt := strings.HasPrefix(f.Name, attachmentPrefix)
		slot := c.slot(f.Name, &mimetype)
		if slot == nil && !isAtt {
			continue
		}
		limit := lim.entrySize()
		if f.Name != EntryMessage && !isAtt {
			limit = lim.metadataSize()
		}
		b, err := cache.entry(data, f, limit, lim.inflateRatio())
		if err != nil {
			return nil, err
		}
		if slot != nil {
			*slot = b
		} else {
			c.Attachments[f.Name] = b
		}
	}
	blank := func(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }
	switch {
	case blank(mimetype):
		return nil, errf(CodeMimeTypeNotFound, "", "mimetype not found or is empty")
	case !strings.EqualFold(strings.TrimSpace(string(mimetype)), MimeType):
		return nil, errf(CodeInvalidMimeType, "", "invalid mime type: %q", mimetype)
	case blank(c.Message):
		return nil, errf(CodeMessageNotFound, "", "message.xml not found or is empty")
	case blank(c.Signature):
		return nil, errf(CodeSignatureNotFound, "", "META-INF/signatures.xml not found or is empty")
	}
	if err := pair(c.SigHashChainResult, EntrySigHashChainRes, c.SigHashChain, EntrySigHashChain); err != nil {
		return nil, err
	}
	if c.Timestamp != nil && blank(c.Timestamp) {
		return nil, errf(CodeTimestampNotFound, "", "%s is empty", EntryTimestamp)
	}
	if err := pair(c.TSHashChainResult, EntryTSHashChainResult, c.TSHashChain, EntryTSHashChain); err != nil {
		return nil, err
	}
	if (c.Manifest != nil && blank(c.Manifest)) || (c.ASiCManifest != nil && blank(c.ASiCManifest)) {
		return nil, errf(CodeManifestNotFound, "", "manifest is empty")
	}
	return c, nil
}

func pair(res []byte, resName string, chain []byte, chainName string) error {
	b1, b2 := len(bytes.TrimSpace(res)) == 0, len(bytes.TrimSpace(chain)) == 0
	switch {
	case b1 && b2:
		return nil
	case b1:
		return errf(CodeHashChainResultNotFound, "", "%s not found or is empty", resName)
	case b2:
		return errf(CodeHashChainNotFound, "", "%s not found or is empty", chainName)
	}
	return nil
}

// maxDeflateRatio bounds how far DEFLATE can expand its input (about
// 1032:1 for a stream of back-references): an entry declaring more than
// its compressed size can produce is lying, so its declared size is not
// trusted for the first allocation.
const maxDeflateRatio = 1032

// readEntry reads entry f, which must declare at most limit bytes. The
// buffer is allocated once at the declared size (no copy-and-double
// growth), but never beyond what the compressed bytes can expand to, so a
// forged size cannot make the reader allocate memory the data does not
// back. archive/zip checks that the data ends exactly at the declared size
// and that its CRC-32 matches.
//
// An entry above ratioFloor that declares more than ratio times its
// compressed size is refused as a zip bomb before it is inflated.
func readEntry(f *zip.File, limit, ratio int64) ([]byte, error) {
	size := f.UncompressedSize64
	if size > uint64(limit) {
		return nil, errf(CodeTooLarge, f.Name, "entry of %d bytes exceeds the limit of %d", size, limit)
	}
	if size > ratioFloor && f.Method != zip.Store && size/max(f.CompressedSize64, 1) > uint64(ratio) {
		return nil, errf(CodeTooLarge, f.Name, "entry inflates %d bytes to %d (more than %d:1, the MaxInflateRatio limit): a zip bomb?",
			f.CompressedSize64, size, ratio)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errf(CodeInvalidLogArchive, f.Name, "%v", err)
	}
	defer rc.Close()
	want := int(size)
	first := want
	if f.Method != zip.Store && f.CompressedSize64 < uint64(want)/maxDeflateRatio {
		first = int(f.CompressedSize64)*maxDeflateRatio + 4096
	} else if f.Method == zip.Store && f.CompressedSize64 < uint64(want) {
		first = int(f.CompressedSize64) + 4096
	}
	buf := make([]byte, 0, first)
	for len(buf) < want {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(want-len(buf), max(len(buf), 4096)))
		}
		n, err := rc.Read(buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errf(CodeInvalidLogArchive, f.Name, "reading entry: %v", err)
		}
	}
	if len(buf) != want {
		return nil, errf(CodeInvalidLogArchive, f.Name, "reading entry: %v", io.ErrUnexpectedEOF)
	}
	// The entry must end here; reaching EOF also checks the CRC-32.
	var one [1]byte
	if n, err := rc.Read(one[:]); n != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = zip.ErrFormat
		}
		return nil, errf(CodeInvalidLogArchive, f.Name, "reading entry: %v", err)
	}
	return buf, nil
}

// Entry resolves a URI used in signatures and hash chains ("/message.xml",
// "/sig-hashchain.xml", "/META-INF/signatures.xml") to the entry's bytes.
// Like X-Road it resolves only the entries it knows; attachments are
// resolved too (X-Road declines them and trusts the chain's digest).
func (c *Container) Entry(uri string) ([]byte, bool) {
	name := strings.TrimPrefix(uri, "/")
	var b []byte
	if p := c.slot(name, nil); p != nil {
		b = *p
	} else if name != EntryMimetype {
		b = c.Attachments[name]
	}
	return b, b != nil
}
