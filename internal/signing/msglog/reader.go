package msglog

import (
	"strconv"

	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/soap"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/atrest"
)

// Archive describes one archive file found on disk.
type Archive struct {
	Path  string // full path
	Group string // directory name relative to the archive root ("" at the root)
	Name  string // file name
	Size  int64
	// ModTime is the file's modification time (the rotation's commit
	// order for archives written in the same second).
	ModTime time.Time
	// Tombstone is true for a retention tombstone standing in for a
	// removed archive.
	Tombstone bool
}

// ListArchives returns the archives (and tombstones) under root and its
// group directories, sorted by group, then by the record times in their
// names (mlog-<first>-<last>-…), then by modification time, which orders
// archives rotated within the same second as they were committed.
func ListArchives(root string) ([]Archive, error) {
	var out []Archive
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing archived yet
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && filepath.Dir(path) != root {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasPrefix(name, "mlog-") {
			return nil
		}
		tomb := strings.HasSuffix(name, TombstoneSuffix)
		if !tomb && !strings.HasSuffix(name, ".zip") && !strings.HasSuffix(name, ".zip"+EncryptedSuffix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		g, _ := filepath.Rel(root, filepath.Dir(path))
		if g == "." {
			g = ""
		}
		out = append(out, Archive{Path: path, Group: g, Name: name, Size: info.Size(), ModTime: info.ModTime(), Tombstone: tomb})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("msglog: list archives: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if ta, tb := timesOf(a.Name), timesOf(b.Name); ta != tb {
			return ta < tb
		}
		if !a.ModTime.Equal(b.ModTime) {
			return a.ModTime.Before(b.ModTime)
		}
		return a.Name < b.Name
	})
	return out, nil
}

// timesOf returns the "<first>-<last>" part of an archive name, which
// sorts in time order.
func timesOf(name string) string {
	f := strings.SplitN(name, "-", 4)
	if len(f) < 4 {
		return name
	}
	return f[1] + "-" + f[2]
}

// OpenArchive reads an archive (decrypting it with key when it is
// encrypted) and returns its zip reader.
func OpenArchive(path string, key []byte) (*zip.Reader, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	if atrest.IsEncrypted(data) {
		if len(key) == 0 {
			return nil, fmt.Errorf("msglog: %s is encrypted and no key was given", filepath.Base(path))
		}
		data, err = atrest.Decrypt(bytes.NewReader(data), key)
		if err != nil {
			return nil, fmt.Errorf("msglog: %s: %w", filepath.Base(path), err)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("msglog: %s: %w", filepath.Base(path), err)
	}
	return zr, nil
}

// maxEntry bounds one container entry read from an archive.
const maxEntry = 256 << 20

func readZipFile(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxEntry {
		return nil, fmt.Errorf("msglog: %s: entry too large", f.Name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxEntry))
}

// ReadContainer parses a record container (ASiC-E bytes) into its Record,
// with bodies restored from the attachments. A format-2 exchange container
// holds one side of the exchange: the record comes from its
// tunduk-exchange.xml with that side's body restored from message.xml and
// its attachments (see MergeSides); the other side's body is nil.
func ReadContainer(data []byte) (*Record, error) {
	return readContainer(data, "")
}

// readContainer is ReadContainer for a container whose side of the
// exchange is known from its entry name ("request", "response"; "" when
// unknown): a request and a response with equal bodies are then not
// confused.
func readContainer(data []byte, side string) (*Record, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("msglog: container: %w", err)
	}
	var msg, meta []byte
	atts := map[string][]byte{}
	var attList [][]byte
	for _, f := range zr.File {
		switch {
		case f.Name == "message.xml":
			if msg, err = readZipFile(f); err != nil {
				return nil, err
			}
		case f.Name == asic.EntryExchange:
			if meta, err = readZipFile(f); err != nil {
				return nil, err
			}
		case strings.HasPrefix(f.Name, "attachment"):
			b, err := readZipFile(f)
			if err != nil {
				return nil, err
			}
			atts[f.Name] = b
		}
	}
	if msg == nil {
		return nil, fmt.Errorf("msglog: container has no message.xml")
	}
	if meta == nil {
		return UnmarshalRecord(msg, atts)
	}
	for i := 1; atts["attachment"+strconv.Itoa(i)] != nil; i++ {
		attList = append(attList, atts["attachment"+strconv.Itoa(i)])
	}
	doc, framing, err := asic.SplitExchange(meta)
	if err != nil {
		return nil, fmt.Errorf("msglog: %s: %w", asic.EntryExchange, err)
	}
	r, err := UnmarshalRecord(doc, nil)
	if err != nil {
		return nil, err
	}
	if r.Exchange == nil {
		return nil, fmt.Errorf("msglog: %s is not an exchange record", asic.EntryExchange)
	}
	rest := r.Exchange.Protocol == "rest"
	req, resp := &r.Exchange.Request, &r.Exchange.Response
	// Which side this container holds: the one whose recorded digest the
	// rebuilt body matches, else as X-Road tells requests from responses.
	switch side {
	case "request":
		req.Body = bodyOf(req, msg, attList, rest, framing)
		return r, nil
	case "response":
		resp.Body = bodyOf(resp, msg, attList, rest, framing)
		return r, nil
	}
	if b := bodyOf(req, msg, attList, rest, framing); b != nil && BodyDigest(b) == req.Digest && (!rest || msg[0] < '1' || msg[0] > '9') {
		req.Body = b
	} else if b := bodyOf(resp, msg, attList, rest, framing); b != nil && BodyDigest(b) == resp.Digest {
		resp.Body = b
	} else if isRequestSide(msg, rest) {
		req.Body = bodyOf(req, msg, attList, rest, framing)
	} else {
		resp.Body = bodyOf(resp, msg, attList, rest, framing)
	}
	return r, nil
}

// isRequestSide tells a request's message.xml from a response's: X-Road's
// REST response form starts with the status code; a SOAP response's body
// element ends in "Response" (or is a Fault).
func isRequestSide(msg []byte, rest bool) bool {
	if rest {
		return !(len(msg) > 0 && msg[0] >= '1' && msg[0] <= '9')
	}
	m, err := soap.ParseBytes(msg, "text/xml; charset=utf-8", soap.Limits{})
	if err != nil {
		return true
	}
	defer m.Close()
	_, fault := m.Fault()
	return !fault && !strings.HasSuffix(m.BodyName().Local, "Response")
}

// bodyOf rebuilds the HTTP body of one side from its X-Road form: the REST
// body is attachment1; a SOAP body is message.xml, or for a multipart
// message the SOAP part and attachments between the recorded framing's
// bytes (container format 3: the body exactly as sent). Without a framing
// (format 2) a multipart body is reassembled under the recorded
// Content-Type's boundary with Go's multipart writer: X-Road's view of the
// message, not the bytes as sent, so it may not match the record's digest.
// Metadata-only records get nil, as does a framing that does not fit the
// container's attachments.
func bodyOf(m *Message, msg []byte, atts [][]byte, rest bool, framing *asic.Framing) []byte {
	if m.BodyRef == "" {
		return nil // metadata-only: the body was not archived
	}
	if m.Size == 0 && !rest {
		// An empty SOAP body: message.xml is X-Road's body-less form.
		return []byte{}
	}
	if framing != nil && !rest {
		b, err := framing.Body(msg, atts)
		if err != nil {
			return nil
		}
		return b
	}
	return asic.Body(m.ContentType, rest, msg, atts)
}

// ReadArchive calls fn for every record in an archive, in archive order,
// with the entry name, the container bytes and the parsed record. The two
// containers of a format-2 exchange (request, response) are passed once,
// merged into one record (name and bytes of the request's container).
// Containers that are not tunduk records (a security server's own) are
// passed with a nil record.
func ReadArchive(path string, key []byte, fn func(entry string, container []byte, r *Record) error) error {
	zr, err := OpenArchive(path, key)
	if err != nil {
		return err
	}
	var held struct {
		name string
		data []byte
		r    *Record
		seq  uint64
	}
	flush := func() error {
		if held.name == "" {
			return nil
		}
		name, data, r := held.name, held.data, held.r
		held.name = ""
		return fn(name, data, r)
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".asice") {
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			return fmt.Errorf("msglog: %s: %s: %w", filepath.Base(path), f.Name, err)
		}
		side := ""
		if strings.HasSuffix(f.Name, "-request.asice") {
			side = "request"
		} else if strings.HasSuffix(f.Name, "-response.asice") {
			side = "response"
		}
		r, err := readContainer(data, side)
		if err != nil {
			r = nil
		}
		seq, _ := SeqOfEntry(f.Name)
		if r != nil && held.name != "" && held.r != nil && seq == held.seq && strings.HasSuffix(f.Name, "-response.asice") {
			held.r.Exchange.Response.Body = r.Exchange.Response.Body
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if r != nil && r.Exchange != nil && strings.HasSuffix(f.Name, "-request.asice") {
			held.name, held.data, held.r, held.seq = f.Name, data, r, seq
			continue
		}
		if err := fn(f.Name, data, r); err != nil {
			return err
		}
	}
	return flush()
}
