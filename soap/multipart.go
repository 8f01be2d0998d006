package soap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"strings"
)

// maxPartHeader bounds one MIME part's header block.
const maxPartHeader = 64 << 10

// mimeReader splits a multipart body into its parts while keeping every
// byte: preamble, delimiter lines (with the line break before them, which
// RFC 2046 makes part of the delimiter), part headers, contents, closing
// delimiter and epilogue. It handles CRLF and bare-LF line endings and
// transport padding after the boundary.
type mimeReader struct {
	br     *bufio.Reader
	dash   []byte // "--" + boundary
	nlDash []byte // "\n--" + boundary
}

func newMIMEReader(r io.Reader, boundary string) *mimeReader {
	return &mimeReader{br: bufio.NewReaderSize(r, 64<<10), dash: []byte("--" + boundary), nlDash: []byte("\n--" + boundary)}
}

// readLine returns the next line including its line break; complete is
// false when the line did not fit the buffer or ended at EOF without a
// break. The slice is valid until the next call.
func (r *mimeReader) readLine() (line []byte, complete bool, err error) {
	line, err = r.br.ReadSlice('\n')
	switch {
	case err == nil:
		return line, true, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return line, false, nil
	case err == io.EOF && len(line) > 0:
		return line, false, nil
	}
	return line, false, err
}

// delimiter reports whether line is a boundary delimiter, and whether it is
// the closing one.
func (r *mimeReader) delimiter(line []byte) (is, closing bool) {
	body := bytes.TrimRight(line, "\r\n")
	if len(line)-len(body) > 2 || !bytes.HasPrefix(body, r.dash) {
		return false, false
	}
	rest := body[len(r.dash):]
	if bytes.HasPrefix(rest, []byte("--")) {
		closing = true
		rest = rest[2:]
	}
	return len(bytes.Trim(rest, " \t")) == 0, closing
}

func invalidMessage(format string, args ...any) error {
	return &ValidationError{Code: CodeInvalidMessage, Detail: fmt.Sprintf(format, args...)}
}

// preamble reads up to and including the first delimiter line. found is
// false when the body ends without one; empty reports a body with nothing
// but whitespace (or a BOM).
func (r *mimeReader) preamble(max int64) (raw []byte, found, closing, empty bool, err error) {
	empty = true
	for {
		line, complete, err := r.readLine()
		if err == io.EOF {
			return raw, false, false, empty, nil
		}
		if err != nil {
			return raw, false, false, false, err
		}
		raw = append(raw, line...)
		if int64(len(raw)) > max {
			return raw, false, false, false, &ValidationError{Code: CodeInvalidMessage, Detail: "MIME preamble too large", Err: ErrTooLarge}
		}
		if is, c := r.delimiter(line); is && (complete || line[len(line)-1] != '\n') {
			return raw, true, c, false, nil
		}
		if len(bytes.TrimSpace(bytes.TrimPrefix(line, bom))) != 0 {
			empty = false
		}
	}
}

// partHeader reads a part's header block including the blank line.
func (r *mimeReader) partHeader() ([]byte, textproto.MIMEHeader, error) {
	var raw []byte
	for {
		line, complete, err := r.readLine()
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		if err == io.EOF || (!complete && line[len(line)-1] != '\n' && r.atEOF()) {
			return nil, nil, invalidMessage("MIME part header ends prematurely")
		}
		raw = append(raw, line...)
		if len(raw) > maxPartHeader {
			return nil, nil, &ValidationError{Code: CodeInvalidMessage, Detail: "MIME part header too large", Err: ErrTooLarge}
		}
		if complete && (len(line) == 1 || (len(line) == 2 && line[0] == '\r')) {
			break
		}
	}
	h, err := readMIMEHeader(raw)
	if err != nil {
		return nil, nil, invalidMessage("MIME part header: %v", err)
	}
	return raw, h, nil
}

func readMIMEHeader(raw []byte) (textproto.MIMEHeader, error) {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, err
	}
	return h, nil
}

func (r *mimeReader) atEOF() bool {
	_, err := r.br.Peek(1)
	return err != nil
}

// content copies a part's content to w, stopping at the next delimiter
// line. It returns the delimiter bytes (the line break before it, which
// belongs to the delimiter, and the delimiter line), whether it closes the
// multipart, and truncated when the input ends inside the content.
//
// It scans the buffered input with bytes.Index for "\n--boundary" and
// never passes on a line break that may turn out to start a delimiter.
func (r *mimeReader) content(w io.Writer) (sep []byte, closing, truncated bool, err error) {
	first := true // at the content's first byte: a delimiter needs no line break before it
	size := r.br.Size()
	for {
		buf, perr := r.br.Peek(size)
		eof := false
		switch {
		case perr == nil:
		case perr == io.EOF:
			eof = true
		default:
			return nil, false, false, perr
		}
		if len(buf) == 0 {
			return nil, false, true, nil
		}
		if first {
			first = false
			if line, ok := r.lineAt(buf, 0, eof); ok {
				if is, c := r.delimiter(line); is {
					sep = append(sep, line...)
					_, err := r.br.Discard(len(line))
					return sep, c, false, err
				}
			}
		}
		from := 0
		for {
			j := bytes.Index(buf[from:], r.nlDash)
			if j < 0 {
				break
			}
			j += from
			line, ok := r.lineAt(buf, j+1, eof)
			if !ok {
				// The candidate line runs past the buffer. Pass on what
				// precedes it and look again with it at the front.
				end := j
				if end > 0 && buf[end-1] == '\r' {
					end--
				}
				if end > 0 {
					if err := r.emit(w, buf[:end]); err != nil {
						return nil, false, false, err
					}
					break
				}
				// A line longer than the whole buffer is no delimiter.
				from = j + 1
				continue
			}
			is, c := r.delimiter(line)
			if !is {
				from = j + 1
				continue
			}
			end := j
			if end > 0 && buf[end-1] == '\r' {
				end--
			}
			if end > 0 {
				if _, err := w.Write(buf[:end]); err != nil {
					return nil, false, false, err
				}
			}
			sep = append(sep, buf[end:j+1+len(line)]...)
			_, err := r.br.Discard(j + 1 + len(line))
			return sep, c, false, err
		}
		if r.br.Buffered() < len(buf) {
			continue // emitted up to a candidate; it is now at the front
		}
		if eof {
			// No delimiter before the end of the input.
			if err := r.emit(w, buf); err != nil {
				return nil, false, false, err
			}
			return nil, false, true, nil
		}
		// Keep back a tail that may be the start of "\r\n--boundary".
		keep := len(r.nlDash) + 1
		if keep >= len(buf) {
			return nil, false, false, invalidMessage("MIME buffer too small for the boundary")
		}
		if err := r.emit(w, buf[:len(buf)-keep]); err != nil {
			return nil, false, false, err
		}
	}
}

// lineAt returns the line starting at buf[i] including its line break, or
// the rest of buf at EOF; ok is false when the line may continue past buf.
func (r *mimeReader) lineAt(buf []byte, i int, eof bool) ([]byte, bool) {
	if k := bytes.IndexByte(buf[i:], '\n'); k >= 0 {
		return buf[i : i+k+1], true
	}
	return buf[i:], eof
}

// emit writes b (a prefix of the buffered input) to w and consumes it.
func (r *mimeReader) emit(w io.Writer, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err := r.br.Discard(len(b))
	return err
}

// limitedBuffer fails writes beyond max with ErrTooLarge.
type limitedBuffer struct {
	b   []byte
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.max {
		return 0, &ValidationError{Code: CodeInvalidMessage, Detail: fmt.Sprintf("SOAP part larger than %d bytes", l.max), Err: ErrTooLarge}
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

// spillWriter writes an attachment to memory until the message's memory
// budget is used, then to a temporary file.
type spillWriter struct {
	a      *Attachment
	f      *os.File
	w      *bufio.Writer
	budget *int64 // memory left for attachments of this message
	total  *int64 // attachment bytes left under MaxAttachmentBytes
	dir    string
}

func (s *spillWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > *s.total {
		return 0, &ValidationError{Code: CodeInvalidMessage, Detail: "attachments exceed the size limit", Err: ErrTooLarge}
	}
	*s.total -= int64(len(p))
	if s.f == nil && s.a.Size+int64(len(p)) <= *s.budget {
		room := *s.budget - s.a.Size
		s.a.Size += int64(len(p))
		s.a.data = appendChunked(s.a.data, p, room)
		return len(p), nil
	}
	s.a.Size += int64(len(p))
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "tunduk-soap-attachment-*")
		if err != nil {
			return 0, fmt.Errorf("soap: spilling attachment: %w", err)
		}
		s.f = f
		s.w = bufio.NewWriterSize(f, 64<<10)
		s.a.file = f.Name()
		for _, c := range s.a.data {
			if _, err := s.w.Write(c); err != nil {
				return 0, fmt.Errorf("soap: spilling attachment: %w", err)
			}
		}
		s.a.data = nil
	}
	if _, err := s.w.Write(p); err != nil {
		return 0, fmt.Errorf("soap: spilling attachment: %w", err)
	}
	return len(p), nil
}

func (s *spillWriter) finish() error {
	if s.f != nil {
		err := s.w.Flush()
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("soap: spilling attachment: %w", err)
		}
		return nil
	}
	*s.budget -= s.a.Size
	return nil
}

// appendChunked copies p into chunks that double from 4 kB up to 256 kB (and
// never beyond room, the memory budget left), so a growing attachment is
// never copied again.
func appendChunked(chunks [][]byte, p []byte, room int64) [][]byte {
	for len(p) > 0 {
		n := len(chunks)
		if n == 0 || len(chunks[n-1]) == cap(chunks[n-1]) {
			size := 4 << 10
			if n > 0 {
				size = min(2*cap(chunks[n-1]), 256<<10)
			}
			size = int(max(min(int64(size), room), int64(len(p))))
			chunks = append(chunks, make([]byte, 0, size))
			n++
		}
		c := chunks[n-1]
		k := min(cap(c)-len(c), len(p))
		chunks[n-1] = append(c, p[:k]...)
		p = p[k:]
		room -= int64(k)
	}
	return chunks
}

// parseMultipart reads SOAP with Attachments or MTOM: the first part is the
// SOAP envelope (text/xml, or application/xop+xml for MTOM), the rest are
// attachments, each with a Content-Type.
func parseMultipart(r io.Reader, contentType string, params map[string]string, lim Limits) (_ *Message, err error) {
	m := &Message{contentType: contentType, multipart: true}
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	mr := newMIMEReader(r, params["boundary"])
	pre, found, closing, empty, err := mr.preamble(lim.MaxBytes)
	if err != nil {
		return nil, wrapRead(err)
	}
	if !found && empty {
		return nil, &ValidationError{Code: CodeMissingSoap, Detail: "empty multipart message: no SOAP part"}
	}
	if !found {
		return nil, invalidMessage("multipart boundary %q does not appear in the body", params["boundary"])
	}
	if closing {
		return nil, &ValidationError{Code: CodeMissingSoap, Detail: "multipart message has no parts"}
	}
	rawHdr, h, err := mr.partHeader()
	if err != nil {
		return nil, wrapRead(err)
	}
	m.pre = append(pre, rawHdr...)
	ct := h.Get("Content-Type")
	pt, pparams, perr := parseMediaType(ct)
	if ct == "" || perr != nil || (pt != "text/xml" && pt != "application/xop+xml") {
		return nil, &ValidationError{Code: CodeInvalidContentType, Detail: fmt.Sprintf("first MIME part has content type %q; the SOAP part must be text/xml (or application/xop+xml for MTOM)", ct)}
	}
	charset := pparams["charset"]
	if charset == "" {
		charset = params["charset"]
	}
	buf := &limitedBuffer{max: lim.MaxBytes}
	sep, closing, truncated, err := mr.content(buf)
	if err != nil {
		return nil, wrapRead(err)
	}
	if truncated {
		return nil, invalidMessage("multipart message ends inside the SOAP part")
	}
	m.soap = buf.b
	if err := m.parseSOAP(charset, lim); err != nil {
		return nil, err
	}
	budget, total := lim.MaxMemory, lim.MaxAttachmentBytes
	for !closing {
		if mr.atEOF() {
			// "--boundary" then end of input: a missing closing
			// delimiter, tolerated as X-Road does once the SOAP part is in.
			break
		}
		if len(m.attachments) >= lim.MaxParts {
			return nil, &ValidationError{Code: CodeInvalidMessage, Detail: fmt.Sprintf("more than %d attachments", lim.MaxParts), Err: ErrTooLarge}
		}
		rawHdr, h, err := mr.partHeader()
		if err != nil {
			return nil, wrapRead(err)
		}
		if total -= int64(len(rawHdr) + len(sep)); total < 0 {
			return nil, &ValidationError{Code: CodeInvalidMessage, Detail: "attachments exceed the size limit", Err: ErrTooLarge}
		}
		a := &Attachment{Header: h, rawHeader: rawHdr, ContentType: h.Get("Content-Type"),
			ContentID: strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h.Get("Content-ID")), "<"), ">")}
		if _, _, err := parseMediaType(a.ContentType); err != nil {
			return nil, &ValidationError{Code: CodeInvalidContentType, Detail: fmt.Sprintf("attachment %d has no usable Content-Type (%q)", len(m.attachments)+1, a.ContentType)}
		}
		m.attSep = append(m.attSep, sep)
		m.attachments = append(m.attachments, a)
		sw := &spillWriter{a: a, budget: &budget, total: &total, dir: lim.TempDir}
		sep, closing, truncated, err = mr.content(sw)
		if ferr := sw.finish(); err == nil && ferr != nil {
			err = ferr
		}
		if err != nil {
			return nil, wrapRead(err)
		}
		if truncated {
			return nil, invalidMessage("multipart message ends inside attachment %d", len(m.attachments))
		}
	}
	tail := sep
	if closing {
		epi, err := io.ReadAll(io.LimitReader(mr.br, lim.MaxBytes+1))
		if err != nil {
			return nil, wrapRead(err)
		}
		if int64(len(epi)) > lim.MaxBytes {
			return nil, &ValidationError{Code: CodeInvalidMessage, Detail: "MIME epilogue too large", Err: ErrTooLarge}
		}
		tail = append(tail, epi...)
	}
	m.tail = tail
	return m, nil
}

func wrapRead(err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return err
	}
	return fmt.Errorf("soap: reading multipart message: %w", err)
}
