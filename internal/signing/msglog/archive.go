package msglog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/atrest"
)

// archiveWriter streams one group's containers through asic.ArchiveWriter
// (which keeps linkinginfo) into a .part file, encrypting when a key is set.
type archiveWriter struct {
	dir, part, final string
	f                *os.File
	buf              *bufio.Writer
	enc              io.WriteCloser // encryption layer, or nil
	aw               *asic.ArchiveWriter
	lastSeq          uint64
	first, last      time.Time
}

func newArchiveWriter(dir, partPrefix string, scanFrom uint64, prev *groupState, key []byte, now time.Time) (*archiveWriter, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	part := filepath.Join(dir, fmt.Sprintf("%s%d.part", partPrefix, scanFrom))
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	w := &archiveWriter{dir: dir, part: part, f: f}
	w.buf = bufio.NewWriterSize(f, 1<<20)
	var out io.Writer = w.buf
	if len(key) > 0 {
		w.enc, err = atrest.NewWriter(w.buf, key)
		if err != nil {
			w.abort()
			return nil, err
		}
		out = w.enc
	}
	w.aw, err = asic.NewArchiveWriter(out, asic.ArchiveOptions{PrevDigest: prev.LastDigest, PrevName: prev.LastArchive, Time: now.UTC(), Comment: archiveComment, Store: true})
	if err != nil {
		w.abort()
		return nil, fmt.Errorf("msglog: %w", err)
	}
	return w, nil
}

func (w *archiveWriter) add(name string, container []byte, seq uint64, t time.Time) error {
	if _, err := w.aw.Add(name, container); err != nil {
		return fmt.Errorf("msglog: archive: %w", err)
	}
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
	digest, err := w.aw.Close()
	if err != nil {
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
	name := asic.ArchiveName(w.first.UTC(), w.last.UTC(), digest)
	if w.enc != nil {
		name += EncryptedSuffix
	}
	w.final = filepath.Join(w.dir, name)
	return &groupState{LastDigest: digest, LastArchive: name, LastSeq: w.lastSeq}, nil
}

func (w *archiveWriter) abort() {
	w.f.Close()
	os.Remove(w.part)
}

// buildContainer writes one record's ASiC-E container with p: each entry
// compressed once where that pays, the batch's shared entries once per
// batch. The archive stores the container as it is. The bytes are valid
// until p's next Build.
func buildContainer(p *asic.Packer, sp *containerSpec, signature, result, chain []byte, t time.Time) ([]byte, error) {
	in := asic.ContainerInput{Message: sp.message, Attachments: sp.attachments, Exchange: sp.exchange, Signature: signature, Time: t.UTC()}
	if len(chain) > 0 {
		in.HashChainResult, in.HashChain = result, chain
	}
	return p.Build(in)
}

// EncryptedSuffix ends the name of an archive encrypted at rest.
const EncryptedSuffix = atrest.Suffix

// TombstoneSuffix ends the name of a retention tombstone: a signed
// container standing in for a removed archive
// (mlog-<first>-<last>-<16hex>.zip.tombstone.asice).
const TombstoneSuffix = ".tombstone.asice"
