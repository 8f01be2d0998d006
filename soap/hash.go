package soap

import (
	"crypto/sha512"
	"encoding/base64"
)

// SHA512 is the algorithmId URI of X-Road's default requestHash algorithm.
const SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

// RequestHash returns base64(SHA-512(soapPart)): the requestHash of a
// request whose SOAP part (the whole HTTP body for text/xml, the first MIME
// part for multipart, BOM included) is soapPart.
func RequestHash(soapPart []byte) string {
	sum := sha512.Sum512(soapPart)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// CheckRequestHash checks that m, a response, carries the requestHash of
// req. Otherwise it returns *ValidationError with CodeInvalidRequestHash.
func (m *Message) CheckRequestHash(req *Message) error { return errNotYet }

// AddRequestHash returns a copy of resp whose header carries req's
// requestHash (replacing any there), as a security server does on the way
// back to the client.
func AddRequestHash(resp *Message, req *Message) (*Message, error) { return nil, errNotYet }
