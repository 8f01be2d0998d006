package soap

// Framing returns a multipart message's framing, byte exact: pre is
// everything before the SOAP part's content (preamble, first delimiter,
// the SOAP part's header block), seps[i] everything between the content
// before attachment i and its content (the delimiter with the line break
// before it, the attachment's header block), and tail the closing
// delimiter and epilogue. The HTTP body is pre, SOAP(), then seps[i] and
// attachment i's content for each attachment, then tail. ok is false for
// a message that is not multipart. The slices alias the message.
func (m *Message) Framing() (pre []byte, seps [][]byte, tail []byte, ok bool) {
	if !m.multipart {
		return nil, nil, nil, false
	}
	seps = make([][]byte, len(m.attachments))
	for i, a := range m.attachments {
		seps[i] = append(append(make([]byte, 0, len(m.attSep[i])+len(a.rawHeader)), m.attSep[i]...), a.rawHeader...)
	}
	return m.pre, seps, m.tail, true
}
