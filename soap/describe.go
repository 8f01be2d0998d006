package soap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DetectContentType returns given when it is set; otherwise it peeks at
// the start of r: a first line "--boundary" means multipart/related with
// that boundary, anything else text/xml (charset from the XML declaration).
// Read the message from the returned reader.
func DetectContentType(r io.Reader, given string) (io.Reader, string) {
	if given != "" {
		return r, given
	}
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, "\r \t")
	if bytes.HasPrefix(line, []byte("--")) && len(line) > 2 && len(line) <= 72 && !bytes.ContainsAny(line, " \t\"<") {
		return br, "multipart/related; boundary=" + strconv.Quote(string(line[2:]))
	}
	return br, "text/xml"
}

// Description is a JSON-friendly summary of a message, for tools such as
// `tunduk soap inspect`. The security token is never included, only its
// presence and length.
type Description struct {
	ContentType  string                  `json:"contentType"`
	Multipart    bool                    `json:"multipart"`
	SOAPBytes    int                     `json:"soapBytes"`
	Header       *HeaderDescription      `json:"header,omitempty"`
	HeaderFields []string                `json:"headerFields"`
	Body         string                  `json:"body,omitempty"` // {namespace}local of the wrapper
	Fault        *Fault                  `json:"fault,omitempty"`
	Attachments  []AttachmentDescription `json:"attachments"`
	AsRequest    string                  `json:"asRequest"`  // "valid" or "FAULTCODE: reason"
	AsResponse   string                  `json:"asResponse"` // "valid" or "FAULTCODE: reason"
}

// HeaderDescription is Header with identifiers in their typed string form.
type HeaderDescription struct {
	Client               string            `json:"client,omitempty"`
	Service              string            `json:"service,omitempty"`
	CentralService       string            `json:"centralService,omitempty"`
	SecurityServer       string            `json:"securityServer,omitempty"`
	ID                   string            `json:"id"`
	UserID               string            `json:"userId,omitempty"`
	Issue                string            `json:"issue,omitempty"`
	ProtocolVersion      string            `json:"protocolVersion"`
	RequestHash          string            `json:"requestHash,omitempty"`
	RequestHashAlgorithm string            `json:"requestHashAlgorithm,omitempty"`
	RepresentedParty     *RepresentedParty `json:"representedParty,omitempty"`
	SecurityToken        string            `json:"securityToken,omitempty"`
	Unknown              []string          `json:"unknown,omitempty"`
}

// AttachmentDescription summarises one attachment.
type AttachmentDescription struct {
	ContentID   string `json:"contentId,omitempty"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// Describe summarises m.
func Describe(m *Message) *Description {
	d := &Description{ContentType: m.ContentType(), Multipart: m.IsMultipart(), SOAPBytes: len(m.SOAP()),
		HeaderFields: []string{}, Attachments: []AttachmentDescription{}}
	if m.HasHeader() {
		h := m.Header()
		hd := &HeaderDescription{ID: h.ID, UserID: h.UserID, Issue: h.Issue, ProtocolVersion: h.ProtocolVersion,
			RequestHash: h.RequestHash, RequestHashAlgorithm: h.RequestHashAlgorithm, RepresentedParty: h.RepresentedParty}
		if !h.Client.IsZero() {
			hd.Client = h.Client.Typed()
		}
		if h.Service != nil {
			hd.Service = h.Service.Typed()
		}
		if h.CentralService != nil {
			hd.CentralService = h.CentralService.Typed()
		}
		if h.SecurityServer != nil {
			hd.SecurityServer = h.SecurityServer.Typed()
		}
		if h.SecurityToken != "" {
			hd.SecurityToken = fmt.Sprintf("(%d characters, not shown)", len(h.SecurityToken))
		}
		for _, n := range h.Unknown {
			hd.Unknown = append(hd.Unknown, "{"+n.Space+"}"+n.Local)
		}
		d.Header = hd
	}
	for _, f := range m.fields {
		d.HeaderFields = append(d.HeaderFields, "{"+f.name.Space+"}"+f.name.Local)
	}
	if n := m.BodyName(); n.Local != "" {
		d.Body = "{" + n.Space + "}" + n.Local
	}
	if f, ok := m.Fault(); ok {
		d.Fault = f
	}
	for _, a := range m.Attachments() {
		d.Attachments = append(d.Attachments, AttachmentDescription{ContentID: a.ContentID, ContentType: a.ContentType, Size: a.Size})
	}
	d.AsRequest = verdict(m.Validate(RoleRequest), RoleRequest)
	d.AsResponse = verdict(m.Validate(RoleResponse), RoleResponse)
	return d
}

func verdict(err error, role Role) string {
	if err == nil {
		return "valid"
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return FaultCodeFor(err, role) + ": " + ve.Reason()
	}
	return FaultCodeFor(err, role)
}
