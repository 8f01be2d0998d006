package verify

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/soap"
)

// signerOf returns who signs message.xml by X-Road's rule
// (AsicContainerVerifier.getSigner): a SOAP request's client, a SOAP
// response's service provider; a REST request's X-Road-Client, a REST
// response's service provider (X-Road-Service). other is the opposite
// party. ok is false when message.xml is neither SOAP nor X-Road's REST
// form.
func signerOf(message []byte) (signer, other soap.ClientID, ok bool) {
	if m, err := soap.ParseBytes(message, "text/xml; charset=utf-8", soap.Limits{}); err == nil {
		defer m.Close()
		h := m.Header()
		if h.Service == nil || h.Client.IsZero() {
			return signer, other, false
		}
		if strings.HasSuffix(m.BodyName().Local, "Response") {
			return h.Service.Provider(), h.Client, true
		}
		return h.Client, h.Service.Provider(), true
	}
	return restSigner(message)
}

// restSigner reads X-Road's REST message form (RestMessage.of): a first
// line starting with a digit is a response.
func restSigner(message []byte) (signer, other soap.ClientID, ok bool) {
	if len(message) == 0 || message[0] == '<' {
		return signer, other, false
	}
	sc := bufio.NewScanner(bytes.NewReader(message))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var lines []string
	for sc.Scan() && len(lines) < 1000 {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 {
		return signer, other, false
	}
	var client, service string
	for _, l := range lines[2:] {
		name, value, found := strings.Cut(l, ":")
		if !found {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "x-road-client":
			client = strings.TrimSpace(value)
		case "x-road-service":
			service = strings.TrimSpace(value)
		}
	}
	c, cerr := soap.ParseClientID(client)
	s, serr := soap.ParseServiceID(service)
	response := lines[0] != "" && lines[0][0] >= '1' && lines[0][0] <= '9'
	switch {
	case response && serr == nil:
		return s.Provider(), c, cerr == nil
	case !response && cerr == nil:
		if serr == nil {
			return c, s.Provider(), true
		}
		return c, soap.ClientID{}, true
	}
	return signer, other, false
}

// certMemberCode is the member code a signing certificate names: its
// subject CN, as X-Road's certificate profiles (and Tunduk's) carry it;
// some profiles put it in serialNumber instead.
func certMemberCode(cert *x509.Certificate) []string {
	var out []string
	if cert.Subject.CommonName != "" {
		out = append(out, cert.Subject.CommonName)
	}
	if cert.Subject.SerialNumber != "" {
		out = append(out, cert.Subject.SerialNumber)
	}
	return out
}

func certNames(cert *x509.Certificate, member soap.ClientID) bool {
	for _, c := range certMemberCode(cert) {
		if c == member.MemberCode {
			return true
		}
	}
	return false
}

// checkSigner mirrors X-Road's SignatureVerifier.verifySignerName: the
// signing certificate must belong to the member who signs message.xml. A
// tunduk container (one with tunduk-exchange.xml) records what the log's
// own member sent and received, so a message received from the other
// party is signed by the receiver: that is reported as a warning, since
// X-Road's asicverifier rejects it with IncorrectCertificate. A message.xml
// that is tunduk's own <record> (format 1, or an event) has no X-Road
// signer; ok says whether the check applied.
func checkSigner(c *asic.Container, cert *x509.Certificate) (warning string, applied bool, err error) {
	signer, other, ok := signerOf(c.Message)
	if !ok {
		if isTundukRecord(c.Message) {
			return "", false, nil
		}
		return "message.xml is neither an X-Road SOAP message nor X-Road's REST message form: its signer cannot be checked (X-Road's asicverifier rejects it)", false, nil
	}
	if certNames(cert, signer) {
		return "", true, nil
	}
	if c.Exchange != nil && !other.IsZero() && certNames(cert, other) {
		return fmt.Sprintf("message from %s is signed by the receiving member %s (tunduk logs what it received; X-Road's asicverifier reports IncorrectCertificate for it)",
			signer, other), true, nil
	}
	return "", true, &seal.Error{Code: seal.CodeIncorrectCertificate,
		Detail: fmt.Sprintf("Name in certificate (%s) does not match name in message (%s)", cert.Subject, signer)}
}

func isTundukRecord(b []byte) bool {
	return bytes.Contains(b[:min(len(b), 512)], []byte(`<record xmlns="https://tunduk.kg/xsd/msglog/1"`))
}
