package tlog

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"

	"github.com/transparency-dev/merkle/rfc6962"
)

// LeafPrefix starts a version 1 leaf's data (domain separation from any
// other use of the key or hash).
const LeafPrefix = "tunduk/mlog/leaf/v1\x00"

// LeafPrefixV2 starts a version 2 leaf's data.
const LeafPrefixV2 = "tunduk/mlog/leaf/v2\x00"

// Leaf versions (see the package doc). A record declares version 2 by a
// leaf="2" attribute on its record element; without it, it is version 1.
const (
	LeafV1 = 1
	LeafV2 = 2
)

// Leaf is what a record contributes to the tree: its sequence number and the
// SHA-256 digests of its sealed parts (version 1), or of its message.xml
// alone (version 2).
type Leaf struct {
	// Version is LeafV1 or LeafV2; 0 is version 1.
	Version           int        `json:"-"`
	Seq               uint64     `json:"seq"`
	MessageDigest     [32]byte   `json:"-"`
	AttachmentDigests [][32]byte `json:"-"`
}

// NewLeaf digests a record's message.xml (as signed, with seq) and
// attachments: its version 1 leaf.
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

// NewLeafV2 digests a record's message.xml (as signed, with seq): its
// version 2 leaf. The attachments are not hashed again: message.xml
// carries each body's SHA-512 digest.
func NewLeafV2(seq uint64, messageXML []byte) Leaf {
	return Leaf{Version: LeafV2, Seq: seq, MessageDigest: sha256.Sum256(messageXML)}
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
	if l.Version == LeafV2 {
		b = append(b, LeafPrefixV2...)
		b = binary.BigEndian.AppendUint64(b, l.Seq)
		return append(b, l.MessageDigest[:]...)
	}
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

// recordPrefix starts a tunduk record document (msglog's MarshalRecord).
const recordPrefix = `<record xmlns="https://tunduk.kg/xsd/msglog/1"`

// LeafVersionOf is the leaf version a record document declares: LeafV2
// when its record element carries leaf="2" where tunduk writes it (after
// the namespace and the seq attribute, and after a container's format
// attribute before them), else LeafV1.
func LeafVersionOf(doc []byte) int {
	i := bytes.Index(doc[:min(len(doc), 64+len(recordPrefix))], []byte(recordPrefix))
	if i < 0 {
		return LeafV1
	}
	rest := doc[i+len(recordPrefix):]
	for _, name := range []string{` format="`, ` seq="`} {
		if v, ok := bytes.CutPrefix(rest, []byte(name)); ok {
			end := bytes.IndexByte(v[:min(len(v), 21)], '"')
			if end < 0 {
				return LeafV1
			}
			rest = v[end+1:]
		}
	}
	if bytes.HasPrefix(rest, []byte(` leaf="2"`)) {
		return LeafV2
	}
	return LeafV1
}

// RecordLeaf is the leaf of a record as archived: message.xml as signed
// (with seq) and its attachments in order, by the leaf version the
// document declares. For version 2 each attachment must be the body
// message.xml references (body="/attachmentN") with the SHA-512 digest
// message.xml records for it, and every attachment must be referenced:
// that is how a version 2 leaf commits to the bodies.
func RecordLeaf(seq uint64, messageXML []byte, attachments ...[]byte) (Leaf, error) {
	if LeafVersionOf(messageXML) != LeafV2 {
		return NewLeaf(seq, messageXML, attachments...), nil
	}
	if err := CheckBodies(messageXML, attachments); err != nil {
		return Leaf{}, err
	}
	return NewLeafV2(seq, messageXML), nil
}

// ErrBody is wrapped by CheckBodies' errors.
var ErrBody = errors.New("tlog: attachment does not match message.xml")

type bodyRef struct {
	Digest string `xml:"digest,attr"`
	Body   string `xml:"body,attr"`
}

// CheckBodies checks a record's attachments against its message.xml: each
// attachment is referenced by one side of the exchange (body="/attachmentN")
// whose digest attribute ("SHA-512:" and base64) is the attachment's
// SHA-512, and a record that is not an exchange has none.
func CheckBodies(messageXML []byte, attachments [][]byte) error {
	var r struct {
		Exchange *struct {
			Request  bodyRef `xml:"request"`
			Response bodyRef `xml:"response"`
		} `xml:"exchange"`
	}
	dec := xml.NewDecoder(bytes.NewReader(messageXML))
	dec.Strict, dec.Entity = true, nil
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("%w: parse message.xml: %v", ErrBody, err)
	}
	seen := make([]bool, len(attachments))
	if x := r.Exchange; x != nil {
		for _, side := range []struct {
			name string
			m    bodyRef
		}{{"request", x.Request}, {"response", x.Response}} {
			if side.m.Body == "" {
				continue
			}
			n, ok := bytes.CutPrefix([]byte(side.m.Body), []byte("/attachment"))
			i, err := strconv.Atoi(string(n))
			if !ok || err != nil || i < 1 || i > len(attachments) || seen[i-1] {
				return fmt.Errorf("%w: the %s body is %q, which names none of the %d attachments (or one named twice)", ErrBody, side.name, side.m.Body, len(attachments))
			}
			seen[i-1] = true
			sum := sha512.Sum512(attachments[i-1])
			if side.m.Digest != "SHA-512:"+base64.StdEncoding.EncodeToString(sum[:]) {
				return fmt.Errorf("%w: attachment%d is not the %s body whose digest message.xml records", ErrBody, i, side.name)
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			return fmt.Errorf("%w: attachment%d is not referenced by message.xml", ErrBody, i+1)
		}
	}
	return nil
}
