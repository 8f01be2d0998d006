package soap

import (
	"errors"
	"strings"
)

// FaultCode is an X-Road fault code without its prefix, in the classic
// CamelCase form, e.g. "MissingHeaderField". Client() and ServiceFailed()
// give the prefixed forms a security server sends.
type FaultCode string

// X-Road fault codes (ErrorCodes.java before X-Road 7.8 renamed them to snake
// case) that the adapter-level checks report.
const (
	CodeMissingHeader            FaultCode = "MissingHeader"
	CodeMissingHeaderField       FaultCode = "MissingHeaderField"
	CodeDuplicateHeaderField     FaultCode = "DuplicateHeaderField"
	CodeInvalidXML               FaultCode = "InvalidXml"
	CodeInvalidProtocolVersion   FaultCode = "InvalidProtocolVersion"
	CodeMissingBody              FaultCode = "MissingBody"
	CodeInvalidBody              FaultCode = "InvalidBody"
	CodeInconsistentHeaders      FaultCode = "InconsistentHeaders"
	CodeInvalidSoap              FaultCode = "InvalidSoap"
	CodeMissingSoap              FaultCode = "MissingSoap"
	CodeInvalidContentType       FaultCode = "InvalidContentType"
	CodeInvalidMessage           FaultCode = "InvalidMessage"
	CodeInvalidSoapAction        FaultCode = "InvalidSoapAction"
	CodeInvalidHTTPMethod        FaultCode = "InvalidHttpMethod"
	CodeInconsistentResponse     FaultCode = "InconsistentResponse"
	CodeInvalidClientIdentifier  FaultCode = "InvalidClientIdentifier"
	CodeInvalidServiceIdentifier FaultCode = "InvalidServiceIdentifier"
	CodeInvalidRequestHash       FaultCode = "InvalidRequestHash"
	CodeInternalError            FaultCode = "InternalError"
)

// Client returns the code as a security server reports a client's error:
// "Client.MissingHeaderField".
func (c FaultCode) Client() string { return "Client." + string(c) }

// ServiceFailed returns the code as a security server reports an invalid
// service response: "Server.ServerProxy.ServiceFailed.MissingHeaderField".
func (c FaultCode) ServiceFailed() string { return "Server.ServerProxy.ServiceFailed." + string(c) }

// ValidationError is a message that X-Road would reject, with the X-Road
// fault code. errors.Is(err, &ValidationError{Code: c}) matches on the code
// alone; Err, when set, is a sentinel such as ErrDTD (errors.Is finds it).
type ValidationError struct {
	Code   FaultCode
	Detail string
	Err    error
}

func (e *ValidationError) Error() string {
	s := "soap: " + string(e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil && !strings.Contains(e.Detail, e.Err.Error()) {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches another *ValidationError with the same Code.
func (e *ValidationError) Is(target error) bool {
	t, ok := target.(*ValidationError)
	return ok && t.Code == e.Code
}

// Unwrap returns the sentinel cause, if any.
func (e *ValidationError) Unwrap() error { return e.Err }

// Reason is the human-readable part without the package prefix and code.
func (e *ValidationError) Reason() string {
	if e.Detail != "" {
		return e.Detail
	}
	if e.Err != nil {
		return strings.TrimPrefix(e.Err.Error(), "soap: ")
	}
	return string(e.Code)
}

// Sentinel causes, wrapped in a *ValidationError where a fault code applies.
var (
	ErrNotSOAP  = errors.New("soap: not a SOAP message")
	ErrTooLarge = errors.New("soap: message exceeds the size limit")
	ErrTooDeep  = errors.New("soap: XML nesting exceeds the depth limit")
	ErrDTD      = errors.New("soap: DTDs and entity declarations are not allowed")
)

// FaultCodeFor returns the full X-Road fault code a security server would
// report for err, an error from Parse or Validate: "Client.X" for a request,
// "Server.ServerProxy.ServiceFailed.X" for a service response. As X-Road
// does, an empty multipart response is reported as InvalidMessage (a request
// gets MissingSoap). Errors that are not *ValidationError give InternalError.
func FaultCodeFor(err error, role Role) string {
	if err == nil {
		return ""
	}
	code := CodeInternalError
	var ve *ValidationError
	if errors.As(err, &ve) {
		code = ve.Code
	}
	if role == RoleResponse {
		if code == CodeMissingSoap {
			code = CodeInvalidMessage
		}
		return code.ServiceFailed()
	}
	return code.Client()
}

// snakeWords maps X-Road 7.8 snake-case words whose CamelCase form is not
// plain capitalisation.
var snakeWords = map[string]string{
	"serverproxy":  "ServerProxy",
	"clientproxy":  "ClientProxy",
	"io":           "IO",
	"unknown_host": "NetworkError", // X-Road 7.8 renamed ServiceFailed.NetworkError
}

// NormalizeFaultCode returns the classic CamelCase form of an X-Road fault
// code given in either form: "server.serverproxy.service_failed.missing_header"
// and "Server.ServerProxy.ServiceFailed.MissingHeader" both give the latter.
// Codes that are not X-Road's (e.g. a service's "soap:Server") come back
// unchanged.
func NormalizeFaultCode(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, ": ") || s != strings.ToLower(s) {
		return s // already CamelCase, or a qualified/foreign code
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if w, ok := snakeWords[p]; ok && (p != "unknown_host" || i > 0) {
			parts[i] = w
			continue
		}
		var b strings.Builder
		for _, w := range strings.Split(p, "_") {
			if mapped, ok := snakeWords[w]; ok && w == "io" {
				b.WriteString(mapped)
				continue
			}
			if w != "" {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ".")
}

// Fault is a SOAP 1.1 technical fault. Detail is the raw inner XML of the
// <detail> element.
type Fault struct {
	Code   string `json:"faultcode"`
	String string `json:"faultstring"`
	Actor  string `json:"faultactor,omitempty"`
	Detail string `json:"detail,omitempty"`
}
