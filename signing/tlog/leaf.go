package tlog

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/transparency-dev/merkle/rfc6962"
)

// LeafPrefix starts every leaf's data (domain separation from any other use
// of the key or hash).
const LeafPrefix = "tunduk/mlog/leaf/v1\x00"

// Leaf is what a record contributes to the tree: its sequence number and the
// SHA-256 digests of its sealed parts.
type Leaf struct {
	Seq               uint64     `json:"seq"`
	MessageDigest     [32]byte   `json:"-"`
	AttachmentDigests [][32]byte `json:"-"`
}

// NewLeaf digests a record's message.xml (as signed, with seq) and
// attachments.
func NewLeaf(seq uint64, messageXML []byte, attachments ...[]byte) Leaf {
	l := Leaf{Seq: seq, MessageDigest: sha256.Sum256(messageXML)}
	if len(attachments) > 0 {
		l.AttachmentDigests = make([][32]byte, len(attachments))
		for i, a := range attachments {
			l.AttachmentDigests[i] = sha256.Sum256(a)
		}
	}
	return l
}

// Data is the leaf data (see the package doc for its encoding).
func (l Leaf) Data() []byte {
	return l.appendData(make([]byte, 0, len(LeafPrefix)+8+32+1+32*len(l.AttachmentDigests)))
}

// AppendHash appends Hash to b (without allocating for up to 4
// attachments).
func (l Leaf) AppendHash(b []byte) []byte {
	var buf [1 + len(LeafPrefix) + 8 + 32 + 1 + 4*32]byte
	d := sha256.Sum256(l.appendData(append(buf[:0], 0))) // 0: RFC 6962 leaf hash prefix
	return append(b, d[:]...)
}

func (l Leaf) appendData(b []byte) []byte {
	b = append(b, LeafPrefix...)
	b = binary.BigEndian.AppendUint64(b, l.Seq)
	b = append(b, l.MessageDigest[:]...)
	b = append(b, byte(len(l.AttachmentDigests)))
	for _, d := range l.AttachmentDigests {
		b = append(b, d[:]...)
	}
	return b
}

// Hash is the RFC 6962 leaf hash of Data.
func (l Leaf) Hash() []byte { return rfc6962.DefaultHasher.HashLeaf(l.Data()) }
