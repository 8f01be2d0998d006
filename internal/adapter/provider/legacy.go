package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/tunduk-kg/tunduk/soap"
)

// Envelope namespaces a legacy backend may answer in.
const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

// envelope is where the parts of a SOAP envelope are in its bytes.
type envelope struct {
	decls       []xml.Attr // namespace declarations on Envelope and Body, in order
	headerStart int        // -1 without a Header
	headerEnd   int
	bodyInner   [2]int // Body content
	// The Body's first element (the wrapper, or a Fault).
	wrapper       [2]int // whole element
	wrapperTagEnd int    // end of its start tag
	wrapperStart  xml.StartElement
	wrapperEmpty  bool   // <x/>
	wrapperNS     string // its namespace, resolved
	soap12        bool
}

// scanEnvelope locates the Header, the Body and the Body's first element.
// The input has passed soap.Parse's limits (the request) or is bounded by
// MaxBackendBytes and checked by soap.ParseBytes after repair (the answer).
func scanEnvelope(b []byte) (*envelope, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	e := &envelope{headerStart: -1, wrapper: [2]int{-1, -1}, bodyInner: [2]int{-1, -1}}
	scopes := []map[string]string{{}}
	resolve := func(prefix string) string {
		for i := len(scopes) - 1; i >= 0; i-- {
			if u, ok := scopes[i][prefix]; ok {
				return u
			}
		}
		return ""
	}
	depth := 0
	var open []xml.Name // RawToken does not check that end tags match
	for {
		before := int(d.InputOffset())
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errors.New("a DTD or directive is not allowed")
		case xml.StartElement:
			depth++
			open = append(open, t.Name)
			sc := map[string]string{}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					sc[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					sc[""] = a.Value
				}
			}
			scopes = append(scopes, sc)
			ns := resolve(t.Name.Space)
			switch depth {
			case 1:
				if t.Name.Local != "Envelope" || (ns != nsSOAP11 && ns != nsSOAP12) {
					return nil, errors.New("not a SOAP envelope")
				}
				e.soap12 = ns == nsSOAP12
				e.decls = append(e.decls, declsOf(t)...)
			case 2:
				switch t.Name.Local {
				case "Header":
					e.headerStart = before
				case "Body":
					e.decls = append(e.decls, declsOf(t)...)
					e.bodyInner[0] = int(d.InputOffset())
				}
			case 3:
				if e.bodyInner[0] >= 0 && e.wrapper[0] < 0 {
					e.wrapper[0], e.wrapperTagEnd = before, int(d.InputOffset())
					e.wrapperStart, e.wrapperNS = t.Copy(), ns
					e.wrapperEmpty = bytes.HasSuffix(bytes.TrimRight(b[before:e.wrapperTagEnd], " \t\r\n"), []byte("/>"))
				} else if e.bodyInner[0] >= 0 && e.bodyInner[1] < 0 {
					return nil, errors.New("the Body holds more than one element")
				}
			}
		case xml.EndElement:
			if depth == 0 || open[depth-1] != t.Name {
				return nil, errors.New("not well-formed XML: mismatched end tag")
			}
			open = open[:depth-1]
			switch depth {
			case 2:
				if t.Name.Local == "Header" && e.headerStart >= 0 && e.headerEnd == 0 {
					e.headerEnd = int(d.InputOffset())
				}
				if t.Name.Local == "Body" && e.bodyInner[0] >= 0 {
					e.bodyInner[1] = before
				}
			case 3:
				if e.wrapper[0] >= 0 && e.wrapper[1] < 0 {
					e.wrapper[1] = int(d.InputOffset())
				}
			}
			scopes = scopes[:len(scopes)-1]
			depth--
		case xml.CharData:
			if depth == 2 && e.bodyInner[0] >= 0 && e.bodyInner[1] < 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text directly in the Body")
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("not well-formed XML: unclosed element")
	}
	if e.bodyInner[0] < 0 || e.bodyInner[1] < 0 {
		return nil, errors.New("no SOAP Body")
	}
	return e, nil
}

func declsOf(t xml.StartElement) []xml.Attr {
	var out []xml.Attr
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			out = append(out, a)
		}
	}
	return out
}

func (e *envelope) isFault() bool {
	return e.wrapper[0] >= 0 && e.wrapperStart.Name.Local == "Fault" && (e.wrapperNS == nsSOAP11 || e.wrapperNS == nsSOAP12)
}

// passThrough serves a service from an existing SOAP backend: the request
// goes unchanged (or without its X-Road header, StripHeader); the answer is
// repaired for X-Road. Its header is replaced by the request's header block
// copied byte for byte (whether the backend dropped, reordered or rewrote
// it), its body wrapper is kept whole with the namespace declarations it
// relied on, renamed to <serviceCode>Response when RenameWrapper is set,
// and a SOAP 1.1 fault is passed through as the backend wrote it, so the
// answer passes the security server's echo check (X-Road#3315).
func (h *Handler) passThrough(ctx context.Context, r *http.Request, req *soap.Message, svc Service, x *inflight) (*soap.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, svc.Timeout)
	defer cancel()
	body, ctype := req.Bytes(), req.ContentType()
	if svc.StripHeader {
		if req.IsMultipart() {
			return h.fault(req, x, "Server.ServiceFailed", "this service does not take attachments")
		}
		env, err := scanEnvelope(req.SOAP())
		if err != nil || env.headerStart < 0 {
			return h.fault(req, x, "Server.ServiceFailed", "the request could not be prepared for the backend")
		}
		s := req.SOAP()
		body = append(append([]byte(nil), s[:env.headerStart]...), s[env.headerEnd:]...)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, svc.Backend, bytes.NewReader(body))
	if err != nil {
		return h.backendFault(req, svc, x, err)
	}
	hreq.Header.Set("Content-Type", ctype)
	if v, ok := r.Header["Soapaction"]; ok && len(v) > 0 {
		hreq.Header["SOAPAction"] = []string{v[0]}
	}
	resp, err := h.opts.HTTPClient.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return h.backendFault(req, svc, x, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, h.opts.MaxBackendBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return h.backendFault(req, svc, x, err)
	}
	if int64(len(raw)) > h.opts.MaxBackendBytes {
		return h.backendFault(req, svc, x, fmt.Errorf("backend answer exceeds %d bytes", h.opts.MaxBackendBytes))
	}
	ct := resp.Header.Get("Content-Type")
	mt := strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	var atts *soap.Message // a multipart answer: its attachments go back with the repaired SOAP part
	switch mt {
	case "text/xml", "application/soap+xml":
		// UTF-8 (XML's default) is all the repair handles.
		if l := strings.ToLower(ct); strings.Contains(l, "charset") && !strings.Contains(l, "utf-8") {
			return h.backendFault(req, svc, x, errors.New("backend answered in a charset other than UTF-8"))
		}
	case "multipart/related":
		m, err := soap.ParseBytes(raw, ct, h.opts.Limits)
		if err != nil {
			return h.backendFault(req, svc, x, fmt.Errorf("backend's multipart answer: %w", err))
		}
		if _, isFault := m.Fault(); isFault {
			x.outcome, x.status = "fault", http.StatusInternalServerError
			return m, nil // closed by ServeHTTP once written
		}
		defer m.Close()
		atts, raw = m, m.SOAP()
	default:
		return h.backendFault(req, svc, x, fmt.Errorf("backend answered HTTP %d with Content-Type %q, not a SOAP message", resp.StatusCode, mt))
	}
	out, faultAnswer, err := repair(req, raw, svc)
	if err != nil {
		return h.backendFault(req, svc, x, err)
	}
	if atts != nil && !faultAnswer {
		_, params, perr := mime.ParseMediaType(ct)
		mtom := strings.EqualFold(params["type"], "application/xop+xml")
		if perr != nil { // e.g. an unquoted boundary=uuid:…, which soap.ParseBytes tolerates
			l := strings.ToLower(ct)
			mtom = strings.Contains(l, `type="application/xop+xml"`) || strings.Contains(l, "type=application/xop+xml")
		}
		if out, err = withAttachmentsOf(out, atts, mtom, h.opts.Limits); err != nil {
			return h.backendFault(req, svc, x, err)
		}
	}
	if faultAnswer {
		x.outcome, x.status = "fault", http.StatusInternalServerError
		if f, ok := out.Fault(); ok {
			x.fault = f.Code
		}
		return out, nil
	}
	if resp.StatusCode != http.StatusOK {
		return h.backendFault(req, svc, x, fmt.Errorf("backend answered HTTP %d without a SOAP fault", resp.StatusCode))
	}
	x.outcome = "ok"
	return out, nil
}

// withAttachmentsOf returns m (a repaired SOAP part) as a multipart/related
// message carrying from's attachments with their own headers, the SOAP
// part first as X-Road requires: SOAP with Attachments, or MTOM (the SOAP
// part as application/xop+xml, its xop:Include references kept) when the
// backend answered MTOM.
func withAttachmentsOf(m, from *soap.Message, mtom bool, lim soap.Limits) (*soap.Message, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	boundary := "tunduk-" + hex.EncodeToString(rnd[:])
	rootType, outer := "text/xml; charset=UTF-8", `multipart/related; type="text/xml"; charset=UTF-8; boundary=`+boundary
	if mtom {
		rootType = `application/xop+xml; charset=UTF-8; type="text/xml"`
		outer = `multipart/related; type="application/xop+xml"; start-info="text/xml"; boundary=` + boundary
	}
	var b bytes.Buffer
	b.WriteString("--" + boundary + "\r\nContent-Type: " + rootType + "\r\n\r\n")
	b.Write(m.SOAP())
	for i, a := range from.Attachments() {
		b.WriteString("\r\n--" + boundary + "\r\n")
		for _, k := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Id", "Content-ID", "Content-Disposition"} {
			for _, v := range a.Header[k] {
				if strings.ContainsAny(v, "\r\n") {
					return nil, fmt.Errorf("attachment %d: line break in a header", i+1)
				}
				b.WriteString(k + ": " + v + "\r\n")
			}
		}
		b.WriteString("\r\n")
		r, err := a.Open()
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i+1, err)
		}
		start := b.Len()
		_, err = b.ReadFrom(r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i+1, err)
		}
		if bytes.Contains(b.Bytes()[start:], []byte("--"+boundary)) {
			return nil, fmt.Errorf("attachment %d contains the MIME boundary", i+1)
		}
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return soap.ParseBytes(b.Bytes(), outer, lim)
}

// repair builds the X-Road answer from a legacy backend's SOAP answer; it
// reports whether the answer is a fault (passed through unchanged).
func repair(req *soap.Message, raw []byte, svc Service) (*soap.Message, bool, error) {
	be, err := scanEnvelope(raw)
	if err != nil {
		return nil, false, fmt.Errorf("backend answer: %w", err)
	}
	if be.soap12 {
		return nil, false, errors.New("backend answered SOAP 1.2; X-Road uses SOAP 1.1")
	}
	if be.isFault() {
		m, err := soap.ParseBytes(raw, "text/xml; charset=UTF-8", soap.Limits{})
		if err != nil {
			return nil, false, fmt.Errorf("backend fault: %w", err)
		}
		if _, ok := m.Fault(); !ok {
			return nil, false, errors.New("backend fault could not be read")
		}
		return m, true, nil
	}
	if be.wrapper[0] < 0 || be.wrapper[1] < 0 {
		return nil, false, errors.New("backend answer has an empty Body")
	}
	code := req.Header().Service.ServiceCode
	want := code + "Response"
	local := be.wrapperStart.Name.Local
	if local != want && !svc.RenameWrapper {
		return nil, false, fmt.Errorf("backend answer's wrapper is <%s>, X-Road wants <%s>; set renameWrapper", local, want)
	}
	rq, err := scanEnvelope(req.SOAP())
	if err != nil {
		return nil, false, fmt.Errorf("request: %w", err)
	}
	// The wrapper's start tag, with the declarations it inherited from the
	// backend's Envelope and Body made explicit (the request's Envelope
	// around it may bind the same prefixes differently).
	var w bytes.Buffer
	qname := local
	if svc.RenameWrapper {
		qname = want
	}
	if p := be.wrapperStart.Name.Space; p != "" {
		qname = p + ":" + qname
	}
	w.WriteString("<" + qname)
	own := map[string]bool{}
	for _, a := range be.wrapperStart.Attr {
		n := a.Name.Local
		if a.Name.Space != "" {
			n = a.Name.Space + ":" + n
		}
		if a.Name.Space == "xmlns" {
			own[a.Name.Local] = true
		} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
			own[""] = true
		}
		writeAttr(&w, n, a.Value)
	}
	inherited := map[string]bool{}
	for i := len(be.decls) - 1; i >= 0; i-- { // innermost (Body) wins
		a := be.decls[i]
		p := a.Name.Local
		if a.Name.Space == "" {
			p = ""
		}
		if own[p] || inherited[p] {
			continue
		}
		inherited[p] = true
		if p == "" {
			writeAttr(&w, "xmlns", a.Value)
		} else {
			writeAttr(&w, "xmlns:"+p, a.Value)
		}
	}
	if !own[""] && !inherited[""] && hasDefault(rq.decls) {
		w.WriteString(` xmlns=""`)
	}
	w.WriteByte('>')
	if !be.wrapperEmpty {
		inner := raw[be.wrapperTagEnd:be.wrapper[1]]
		end := bytes.LastIndex(inner, []byte("</"))
		if end < 0 {
			return nil, false, errors.New("backend answer's wrapper is not closed")
		}
		w.Write(inner[:end])
	}
	w.WriteString("</" + qname + ">")

	s := req.SOAP()
	var out bytes.Buffer
	out.Grow(len(s) + w.Len())
	out.Write(s[:rq.bodyInner[0]])
	out.Write(w.Bytes())
	out.Write(s[rq.bodyInner[1]:])
	m, err := soap.ParseBytes(out.Bytes(), "text/xml; charset=UTF-8", soap.Limits{})
	if err != nil {
		return nil, false, fmt.Errorf("repaired answer: %w", err)
	}
	return m, false, nil
}

func hasDefault(decls []xml.Attr) bool {
	for _, a := range decls {
		if a.Name.Space == "" && a.Name.Local == "xmlns" && a.Value != "" {
			return true
		}
	}
	return false
}

func writeAttr(w *bytes.Buffer, name, value string) {
	w.WriteString(" " + name + `="`)
	_ = xml.EscapeText(w, []byte(value))
	w.WriteByte('"')
}
