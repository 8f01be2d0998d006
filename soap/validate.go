package soap

import (
	"fmt"
	"strings"
)

// Validate checks the message as an X-Road security server does at the
// adapter level, for the given role, returning a *ValidationError with the
// X-Road fault code. A SOAP fault is a valid response (X-Road passes it
// through); sent as a request it is rejected with the fault's own code, as
// X-Road does (Client.<faultcode>).
func (m *Message) Validate(role Role) error {
	if m.fault != nil {
		if role == RoleRequest {
			code := m.fault.Code
			if i := strings.LastIndexByte(code, ':'); i >= 0 {
				code = code[i+1:]
			}
			return &ValidationError{Code: FaultCode(code), Detail: "a SOAP fault was sent as a request: " + m.fault.String}
		}
		return nil
	}
	if m.spans.header.start < 0 {
		return &ValidationError{Code: CodeMissingHeader, Detail: "the message has no SOAP Header"}
	}
	if m.hdrErr != nil {
		return m.hdrErr
	}
	h := m.hdr
	missing := func(f string) error {
		return &ValidationError{Code: CodeMissingHeaderField, Detail: "required header field " + f + " is missing"}
	}
	switch {
	case h.Client.IsZero():
		return missing("client")
	case h.Service == nil && h.CentralService == nil:
		return missing("service")
	case !m.hasField("id"):
		return missing("id")
	case !m.hasField("protocolVersion"):
		return missing("protocolVersion")
	}
	if !strings.HasPrefix(strings.TrimSpace(h.ProtocolVersion), "4.") {
		return &ValidationError{Code: CodeInvalidProtocolVersion, Detail: fmt.Sprintf("protocolVersion %q is not 4.x", h.ProtocolVersion)}
	}
	if m.spans.body.start < 0 {
		return &ValidationError{Code: CodeMissingBody, Detail: "the message has no SOAP Body"}
	}
	if m.bodyKid != 1 {
		return &ValidationError{Code: CodeInvalidBody, Detail: fmt.Sprintf("the SOAP Body has %d child elements; X-Road wants exactly one", m.bodyKid)}
	}
	code := ""
	if h.Service != nil {
		code = h.Service.ServiceCode
	} else {
		code = h.CentralService.ServiceCode
	}
	if !strings.HasPrefix(m.spans.wrapperName.Local, code) {
		return &ValidationError{Code: CodeInconsistentHeaders, Detail: fmt.Sprintf("body element %s does not match serviceCode %s", m.spans.wrapperName.Local, code)}
	}
	return nil
}

func (m *Message) hasField(local string) bool {
	for _, f := range m.fields {
		if f.name.Space == NSXRoad && f.name.Local == local {
			return true
		}
	}
	return false
}

// CheckHTTP applies X-Road's HTTP-level rules for a request: the method must
// be POST (CodeInvalidHTTPMethod) and a SOAPAction header, when present, must
// be a quoted string (CodeInvalidSoapAction). Pass soapAction == nil when the
// header is absent.
func CheckHTTP(method string, soapAction *string) error {
	if method != "POST" {
		return &ValidationError{Code: CodeInvalidHTTPMethod, Detail: fmt.Sprintf("HTTP method %s; X-Road SOAP requests must be POST", method)}
	}
	if soapAction != nil {
		a := strings.TrimSpace(*soapAction)
		if a != "" && (len(a) < 2 || a[0] != '"' || a[len(a)-1] != '"') {
			return &ValidationError{Code: CodeInvalidSoapAction, Detail: fmt.Sprintf("SOAPAction %q is not a quoted string", *soapAction)}
		}
	}
	return nil
}
