package msglog

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tunduk-kg/tunduk/signing/msglog/atrest"
)

// archiveWriter streams one group's containers into a .part file and
// computes its linkinginfo as it goes.
type archiveWriter struct {
	dir, part, final string
	f                *os.File
	buf              *bufio.Writer
	enc              io.WriteCloser // encryption layer, or nil
	zw               *zip.Writer
	prev             *groupState
	digest           string // running linking digest
	lines            []string
	lastSeq          uint64
	first, last      time.Time
}

func newArchiveWriter(dir string, scanFrom uint64, prev *groupState, key []byte) (*archiveWriter, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	part := filepath.Join(dir, fmt.Sprintf(".rotating-%d.part", scanFrom))
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	w := &archiveWriter{dir: dir, part: part, f: f, prev: prev, digest: prev.LastDigest}
	w.buf = bufio.NewWriterSize(f, 1<<20)
	var out io.Writer = w.buf
	if len(key) > 0 {
		w.enc, err = encryptWriter(w.buf, key)
		if err != nil {
			f.Close()
			os.Remove(part)
			return nil, err
		}
		out = w.enc
	}
	w.zw = zip.NewWriter(out)
	first := "-"
	if prev.LastDigest != "" {
		first = prev.LastDigest
	}
	prevName := "-"
	if prev.LastArchive != "" {
		prevName = prev.LastArchive
	}
	w.lines = append(w.lines, first+" "+prevName+" SHA-512")
	return w, nil
}

// linkDigest is X-Road's linkinginfo step: hex(SHA-512(prev + hex(SHA-512(entry)))).
func linkDigest(prev string, entry []byte) string {
	e := sha512.Sum512(entry)
	d := sha512.Sum512([]byte(prev + hex.EncodeToString(e[:])))
	return hex.EncodeToString(d[:])
}

func (w *archiveWriter) add(name string, container []byte, seq uint64, t time.Time) error {
	hw, err := w.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: t.UTC()})
	if err != nil {
		return fmt.Errorf("msglog: archive: %w", err)
	}
	if _, err := hw.Write(container); err != nil {
		return fmt.Errorf("msglog: archive: %w", err)
	}
	w.digest = linkDigest(w.digest, container)
	w.lines = append(w.lines, w.digest+" "+name)
	w.lastSeq = seq
	if w.first.IsZero() {
		w.first = t
	}
	w.last = t
	return nil
}

// finish writes linkinginfo, closes and fsyncs the .part file and names its
// final path; the caller commits and renames.
func (w *archiveWriter) finish() (*groupState, error) {
	lw, err := w.zw.CreateHeader(&zip.FileHeader{Name: "linkinginfo", Method: zip.Deflate, Modified: w.last.UTC()})
	if err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	var li bytes.Buffer
	for _, l := range w.lines {
		li.WriteString(l)
		li.WriteByte('\n')
	}
	if _, err := lw.Write(li.Bytes()); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if err := w.zw.Close(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if w.enc != nil {
		if err := w.enc.Close(); err != nil {
			return nil, fmt.Errorf("msglog: archive: %w", err)
		}
	}
	if err := w.buf.Flush(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if err := w.f.Close(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	name := ArchiveName(w.first, w.last, w.digest)
	if w.enc != nil {
		name += EncryptedSuffix
	}
	w.final = filepath.Join(w.dir, name)
	return &groupState{LastDigest: w.digest, LastArchive: name, LastSeq: w.lastSeq}, nil
}

func (w *archiveWriter) abort() {
	w.f.Close()
	os.Remove(w.part)
}

// ArchiveName is X-Road's archive file name: mlog-<first>-<last>-<16hex>.zip
// with the first and last record times (UTC, yyyyMMddHHmmss) and the first
// 16 hex digits of the archive's last linking digest.
func ArchiveName(first, last time.Time, lastDigest string) string {
	const f = "20060102150405"
	return fmt.Sprintf("mlog-%s-%s-%s.zip", first.UTC().Format(f), last.UTC().Format(f), lastDigest[:16])
}

// Container entry names and media types of tunduk's ASiC-E containers.
const (
	mimeASiCE = "application/vnd.etsi.asic-e+zip"
)

// buildContainer writes one record's ASiC-E container.
func buildContainer(messageXML []byte, attachments [][]byte, signature, result, chain []byte) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	files := []struct {
		name string
		data []byte
		mime string
	}{{"message.xml", messageXML, "text/xml"}}
	for i, a := range attachments {
		files = append(files, struct {
			name string
			data []byte
			mime string
		}{fmt.Sprintf("attachment%d", i+1), a, "application/octet-stream"})
	}
	if len(chain) > 0 {
		files = append(files,
			struct {
				name string
				data []byte
				mime string
			}{"sig-hashchainresult.xml", result, "text/xml"},
			struct {
				name string
				data []byte
				mime string
			}{"sig-hashchain.xml", chain, "text/xml"})
	}
	var manifest bytes.Buffer
	manifest.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">` + "\n" +
		`    <manifest:file-entry manifest:media-type="` + mimeASiCE + `" manifest:full-path="/"/>` + "\n")
	for _, f := range files {
		manifest.WriteString(`    <manifest:file-entry manifest:media-type="` + f.mime + `" manifest:full-path="` + f.name + `"/>` + "\n")
	}
	manifest.WriteString(`</manifest:manifest>` + "\n")
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		return nil, err
	}
	w.Write([]byte(mimeASiCE))
	all := append(files, struct {
		name string
		data []byte
		mime string
	}{"META-INF/manifest.xml", manifest.Bytes(), ""}, struct {
		name string
		data []byte
		mime string
	}{"META-INF/signatures.xml", signature, ""})
	for _, f := range all {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// EncryptedSuffix ends the name of an archive encrypted at rest.
const EncryptedSuffix = atrest.Suffix

func encryptWriter(w io.Writer, key []byte) (io.WriteCloser, error) { return atrest.NewWriter(w, key) }

// TombstoneSuffix ends the name of a retention tombstone: a signed
// container standing in for a removed archive
// (mlog-<first>-<last>-<16hex>.zip.tombstone.asice).
const TombstoneSuffix = ".tombstone.asice"
