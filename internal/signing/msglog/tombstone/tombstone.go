// Package tombstone writes and reads retention tombstones: signed ASiC-E
// containers that stand in for an mlog-*.zip archive removed under the
// retention policy, so the archive chain still verifies.
//
// An archive's linkinginfo names the previous archive and its last linking
// digest. When an old archive is removed, the next one would point at a
// file that no longer exists. The tombstone, saved as
// <archive name>.tombstone.asice beside where the archive was, says which
// archive was removed, its first-line link (prev digest and prev archive),
// its last linking digest, how many containers it held and the SHA-512 of
// its file, and it is signed like any log record (a directly signed
// message.xml). A verifier accepts the link "next.prev == tombstone.last"
// once the tombstone's signature verifies.
//
// The package is pure (no file I/O) so the verifier can import it.
package tombstone

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/sha512"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// Suffix is appended to the removed archive's file name.
const Suffix = ".tombstone.asice"

// Namespace of the tombstone document (message.xml).
const Namespace = "https://tunduk.kg/xsd/msglog/1"

// Tombstone describes one removed archive.
type Tombstone struct {
	XMLName xml.Name `xml:"https://tunduk.kg/xsd/msglog/1 tombstone"`
	// Archive is the removed archive's file name.
	Archive string `xml:"archive"`
	// Group is the archive group (directory name; empty at the root).
	Group string `xml:"group,omitempty"`
	// PrevDigest and PrevArchive are the removed archive's linkinginfo
	// first line ("-" when it started the chain).
	PrevDigest  string `xml:"prevDigest"`
	PrevArchive string `xml:"prevArchive"`
	// LastDigest is its last linking digest: what the next archive links to.
	LastDigest string `xml:"lastDigest"`
	// Containers is how many containers it held.
	Containers int `xml:"containers"`
	// FileSHA512 is the hex SHA-512 of the removed file.
	FileSHA512 string `xml:"fileSha512"`
	// Retention is the policy that removed it (e.g. "3y").
	Retention string `xml:"retention"`
	// Removed is when it was removed.
	Removed time.Time `xml:"removed"`
}

// Name is the tombstone's file name.
func (t *Tombstone) Name() string { return t.Archive + Suffix }

// Build signs t with signer and cert and returns the tombstone container.
func Build(t *Tombstone, signer crypto.Signer, cert *x509.Certificate, now func() time.Time) ([]byte, error) {
	if t.Archive == "" || t.LastDigest == "" {
		return nil, errors.New("tombstone: archive name and last digest are required")
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("tombstone: %w", err)
	}
	b.WriteByte('\n')
	msg := b.Bytes()
	d := sha512.Sum512(msg)
	sig, err := seal.Sign(signer, cert, seal.URIMessage, d[:], &seal.Options{Hash: crypto.SHA512, Now: now})
	if err != nil {
		return nil, fmt.Errorf("tombstone: %w", err)
	}
	c, err := asic.Build(asic.ContainerInput{Message: msg, Signature: sig, Time: t.Removed})
	if err != nil {
		return nil, fmt.Errorf("tombstone: %w", err)
	}
	return c, nil
}

// Parse reads a tombstone container's message.xml. It does not verify the
// signature; verify the container as any other first.
func Parse(container []byte) (*Tombstone, error) {
	zr, err := zip.NewReader(bytes.NewReader(container), int64(len(container)))
	if err != nil {
		return nil, fmt.Errorf("tombstone: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != "message.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("tombstone: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("tombstone: %w", err)
		}
		var t Tombstone
		dec := xml.NewDecoder(bytes.NewReader(data))
		dec.Strict = true
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("tombstone: message.xml: %w", err)
		}
		if t.Archive == "" || t.LastDigest == "" || strings.ContainsAny(t.Archive, "/\\") {
			return nil, errors.New("tombstone: message.xml lacks the archive name or last digest")
		}
		return &t, nil
	}
	return nil, errors.New("tombstone: no message.xml")
}

// FileDigest is the hex SHA-512 form used in FileSHA512.
func FileDigest(data []byte) string {
	d := sha512.Sum512(data)
	return fmt.Sprintf("%x", d[:])
}
