package asic

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// Framing is the MIME framing of a multipart (SOAP with attachments, MTOM)
// HTTP body, kept so that the body can be rebuilt byte for byte from X-Road's
// form of the message (message.xml the SOAP part, attachmentN the other
// parts' contents): Pre is everything before the SOAP part's content
// (preamble, first delimiter, the SOAP part's header block), Seps[i] the
// bytes between the content before attachment i+1 and its content (the
// line break and delimiter, transport padding, the part's header block), Tail
// the closing delimiter and epilogue. The body is
//
//	Pre, message.xml, Seps[0], attachment1, …, Seps[n-1], attachmentN, Tail
//
// In container format 3 it follows the record document in EntryExchange
// as a processing instruction (see AppendFraming), so it is covered by the
// container's hash chain and signature like the rest of that entry.
type Framing struct {
	Pre  []byte
	Seps [][]byte
	Tail []byte
}

// Limits of a framing, checked when it is written (a body whose framing
// exceeds them is kept whole as message.xml instead) and when it is read.
const (
	// MaxFramingSize bounds a framing's bytes: delimiters and part
	// headers are a few hundred bytes a part; preamble and epilogue are
	// normally empty.
	MaxFramingSize = 1 << 20
	// MaxFramingParts bounds the attachments a framing describes.
	MaxFramingParts = 10_000
)

// framingPI starts the processing instruction holding a framing; the
// record document before it never holds "<?" after its XML declaration
// (MarshalRecord escapes '<').
const framingPI = "\n<?tunduk-multipart v1 "

// framingVersion is the first byte of an encoded framing.
const framingVersion = 1

// ErrFraming marks a malformed framing (see ParseFraming).
var ErrFraming = errors.New("malformed multipart framing")

// Size is the framing's byte count.
func (f *Framing) Size() int {
	n := len(f.Pre) + len(f.Tail)
	for _, s := range f.Seps {
		n += len(s)
	}
	return n
}

// Fits reports whether the framing is within MaxFramingSize and
// MaxFramingParts.
func (f *Framing) Fits() bool {
	return len(f.Seps) <= MaxFramingParts && f.Size() <= MaxFramingSize
}

// encode is the framing's binary form: a version byte, the number of
// attachments, then Pre, each of Seps and Tail, each a uvarint length and
// the bytes.
func (f *Framing) encode() []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64*(len(f.Seps)+3)+f.Size())
	b = append(b, framingVersion)
	b = binary.AppendUvarint(b, uint64(len(f.Seps)))
	put := func(p []byte) {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	put(f.Pre)
	for _, s := range f.Seps {
		put(s)
	}
	put(f.Tail)
	return b
}

// AppendFraming returns the EntryExchange bytes for the record document doc
// followed by the framing f: doc, a line break, and the processing
// instruction <?tunduk-multipart v1 BASE64?> (base64 of the binary form).
// X-Road's tools do not read EntryExchange; XML readers of it see a
// processing instruction after the root element.
func AppendFraming(doc []byte, f *Framing) []byte {
	enc := f.encode()
	out := make([]byte, 0, len(doc)+len(framingPI)+base64.StdEncoding.EncodedLen(len(enc))+2)
	out = append(append(out, doc...), framingPI...)
	out = base64.StdEncoding.AppendEncode(out, enc)
	return append(out, "?>"...)
}

// SplitExchange splits EntryExchange bytes into the record document and
// its framing (nil when there is none: not multipart, or a container
// format before 3). A framing that is malformed or over the limits is an
// error wrapping ErrFraming.
func SplitExchange(ex []byte) (doc []byte, f *Framing, err error) {
	i := bytes.Index(ex, []byte(framingPI))
	if i < 0 {
		return ex, nil, nil
	}
	text, ok := bytes.CutSuffix(ex[i+len(framingPI):], []byte("?>"))
	if !ok {
		return nil, nil, fmt.Errorf("%w: the %s processing instruction does not end the entry", ErrFraming, EntryExchange)
	}
	if len(text) > base64.StdEncoding.EncodedLen(MaxFramingSize+1+binary.MaxVarintLen64*(MaxFramingParts+3)) {
		return nil, nil, fmt.Errorf("%w: %d bytes of base64, over the limit", ErrFraming, len(text))
	}
	if bytes.ContainsAny(text, "\r\n") {
		// The decoder would skip them; refuse them so that a framing has
		// one encoding.
		return nil, nil, fmt.Errorf("%w: a line break in the base64", ErrFraming)
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(raw, text)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: base64: %v", ErrFraming, err)
	}
	f, err = ParseFraming(raw[:n])
	if err != nil {
		return nil, nil, err
	}
	return ex[:i], f, nil
}

// ParseFraming reads a framing's binary form, within MaxFramingSize and
// MaxFramingParts; its slices alias b.
func ParseFraming(b []byte) (*Framing, error) {
	if len(b) == 0 || b[0] != framingVersion {
		return nil, fmt.Errorf("%w: unknown version", ErrFraming)
	}
	b = b[1:]
	count, k := uvarint(b)
	if k <= 0 || count > MaxFramingParts {
		return nil, fmt.Errorf("%w: bad attachment count", ErrFraming)
	}
	b = b[k:]
	total := 0
	next := func() ([]byte, error) {
		n, k := uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: a segment runs past the end", ErrFraming)
		}
		if total += int(n); total > MaxFramingSize {
			return nil, fmt.Errorf("%w: over %d bytes", ErrFraming, MaxFramingSize)
		}
		p := b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
		return p, nil
	}
	f := &Framing{}
	var err error
	if f.Pre, err = next(); err != nil {
		return nil, err
	}
	if count > 0 {
		f.Seps = make([][]byte, 0, min(count, uint64(len(b))))
	}
	for range count {
		s, err := next()
		if err != nil {
			return nil, err
		}
		f.Seps = append(f.Seps, s)
	}
	if f.Tail, err = next(); err != nil {
		return nil, err
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last segment", ErrFraming, len(b))
	}
	return f, nil
}

// uvarint is binary.Uvarint refusing longer encodings than needed (k = 0),
// so that a framing has one encoding.
func uvarint(b []byte) (uint64, int) {
	n, k := binary.Uvarint(b)
	if k > 1 && b[k-1] == 0 {
		return 0, 0
	}
	return n, k
}

// Body rebuilds the HTTP body from message.xml (the SOAP part) and the
// attachments, which must be as many as the framing describes.
func (f *Framing) Body(msg []byte, atts [][]byte) ([]byte, error) {
	if len(atts) != len(f.Seps) {
		return nil, fmt.Errorf("%w: it describes %d attachments, the container holds %d", ErrFraming, len(f.Seps), len(atts))
	}
	n := f.Size() + len(msg)
	for _, a := range atts {
		n += len(a)
	}
	out := make([]byte, 0, n)
	out = append(append(out, f.Pre...), msg...)
	for i, a := range atts {
		out = append(append(out, f.Seps[i]...), a...)
	}
	return append(out, f.Tail...), nil
}
