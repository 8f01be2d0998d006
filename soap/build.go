package soap

// AttachmentData is an attachment to put into a built message.
type AttachmentData struct {
	ContentID   string // without angle brackets; "" ⇒ generated
	ContentType string // "" ⇒ application/octet-stream
	Data        []byte
}

// Request describes a request to build. The body wrapper's local name is
// always Service.ServiceCode.
type Request struct {
	Client        ClientID
	Service       ServiceID
	ID            string // "" ⇒ a new UUID
	UserID, Issue string
	// ProtocolVersion defaults to "4.0".
	ProtocolVersion  string
	RepresentedParty *RepresentedParty
	SecurityServer   *SecurityServerID
	BodyNamespace    string // namespace of the wrapper; "" ⇒ no namespace
	Body             []byte // inner XML of the wrapper, a well-formed fragment
	Attachments      []AttachmentData
}

// NewRequest builds an X-Road request (protocolVersion 4.0). With
// attachments the message is multipart/related (SOAP with Attachments).
func NewRequest(r Request) (*Message, error) { return nil, errNotYet }

// Response describes the body of a response built by NewResponseFrom.
type Response struct {
	BodyNamespace string // "" ⇒ the request wrapper's namespace
	Body          []byte // inner XML of the <serviceCode>Response wrapper
	Attachments   []AttachmentData
}

// NewResponse builds the response to req: the header block is req's header
// block copied byte for byte (minus any requestHash), and the wrapper is
// <serviceCode>Response in bodyNamespace ("" ⇒ the request wrapper's
// namespace) containing body.
func NewResponse(req *Message, bodyNamespace string, body []byte) (*Message, error) {
	return NewResponseFrom(req, Response{BodyNamespace: bodyNamespace, Body: body})
}

// NewResponseFrom is NewResponse with attachments.
func NewResponseFrom(req *Message, r Response) (*Message, error) { return nil, errNotYet }

// NewFaultResponse builds a response carrying a SOAP fault that keeps req's
// header block (as X-Road services should, so the fault still echoes).
func NewFaultResponse(req *Message, f Fault) (*Message, error) { return nil, errNotYet }

// Echoes reports whether resp echoes req's header: the same header fields in
// the same order with the same values, namespace-equivalent prefixes allowed,
// requestHash ignored. Otherwise it returns *ValidationError with
// CodeInconsistentResponse.
func Echoes(req, resp *Message) error { return errNotYet }

// CheckConsistency applies X-Road's looser pair check (SoapUtils): client,
// service, id, userId, issue and representedParty must be equal. Otherwise it
// returns *ValidationError with CodeInconsistentHeaders.
func CheckConsistency(req, resp *Message) error { return errNotYet }
