package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
)

// Message is one log record to sign: the bytes stored as message.xml and
// the attachments stored as attachment1, attachment2, ….
type Message struct {
	Body        []byte
	Attachments [][]byte
}

// Seal is what one record's container needs from a batch signature.
type Seal struct {
	// Signature is META-INF/signatures.xml. All records of one batch share
	// the same bytes.
	Signature []byte
	// HashChainResult and HashChain are sig-hashchainresult.xml and this
	// record's sig-hashchain.xml; both nil when the record was signed
	// directly (a batch of one message without attachments).
	HashChainResult []byte
	HashChain       []byte
}

// SignBatch signs messages with one XML signature, as X-Road's security
// server signs a batch: a single message without attachments is signed
// directly (Reference "/message.xml"); otherwise a Merkle hash chain is
// built over the messages (each with its attachments) and the signature
// covers its sig-hashchainresult.xml. It returns one Seal per message, in
// order. cert must be signer's certificate.
func SignBatch(signer crypto.Signer, cert *x509.Certificate, messages []Message, opts *Options) ([]Seal, error) {
	if len(messages) == 0 {
		return nil, errors.New("seal: no messages to sign")
	}
	o := opts.withDefaults()
	h := o.Hash
	if len(messages) == 1 && len(messages[0].Attachments) == 0 {
		sig, err := Sign(signer, cert, URIMessage, sum(h, messages[0].Body), o)
		if err != nil {
			return nil, err
		}
		return []Seal{{Signature: sig}}, nil
	}
	b, err := hashchain.NewBuilder(h)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	for _, m := range messages {
		atts := make([][]byte, len(m.Attachments))
		for i, a := range m.Attachments {
			atts[i] = sum(h, a)
		}
		b.Add(sum(h, m.Body), atts...)
	}
	tree, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	result := tree.Result(URISigHashChain)
	sig, err := Sign(signer, cert, URISigHashChainRes, sum(h, result), o)
	if err != nil {
		return nil, err
	}
	out := make([]Seal, len(messages))
	for i := range messages {
		out[i] = Seal{Signature: sig, HashChainResult: result, HashChain: tree.Chain(i, URIMessage)}
	}
	return out, nil
}

// Sign returns a signatures.xml whose one data reference is uri with the
// given digest (computed with opts.Hash over the entry's bytes).
func Sign(signer crypto.Signer, cert *x509.Certificate, uri string, digest []byte, opts *Options) ([]byte, error) {
	o := opts.withDefaults()
	if cert == nil || signer == nil {
		return nil, errors.New("seal: signer and certificate are required")
	}
	sigAlg, err := signatureMethod(signer.Public(), o.Hash)
	if err != nil {
		return nil, err
	}
	digURI, _ := hashchain.URIOf(o.Hash)
	certDigest := sum(o.Hash, cert.Raw)
	b64 := base64.StdEncoding.EncodeToString
	mime := "text/xml"
	if uri != URIMessage && uri != URISigHashChainRes {
		mime = "application/octet-stream"
	}
	signedProps := `<xades:SignedProperties Id="signed-properties"><xades:SignedSignatureProperties>` +
		`<xades:SigningTime>` + o.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `</xades:SigningTime>` +
		`<xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="` + digURI + `"/>` +
		`<ds:DigestValue>` + b64(certDigest) + `</ds:DigestValue></xades:CertDigest>` +
		`<xades:IssuerSerial><ds:X509IssuerName>` + xmlText(cert.Issuer.String()) + `</ds:X509IssuerName>` +
		`<ds:X509SerialNumber>` + cert.SerialNumber.String() + `</ds:X509SerialNumber></xades:IssuerSerial>` +
		`</xades:Cert></xades:SigningCertificate></xades:SignedSignatureProperties>` +
		`<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#signature-reference-0">` +
		`<xades:MimeType>` + mime + `</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties>` +
		`</xades:SignedProperties>`
	head := `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` +
		`<asic:XAdESSignatures xmlns:asic="` + NSAsic + `" xmlns:ds="` + NSDsig + `" xmlns:xades="` + NSXades + `">` +
		`<ds:Signature Id="signature">` + "\n"
	unsigned := ""
	if o.OCSP != nil {
		der, err := o.OCSP(cert)
		if err != nil {
			return nil, fmt.Errorf("seal: OCSP response for the signing certificate: %w", err)
		}
		unsigned = `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:RevocationValues><xades:OCSPValues>` +
			`<xades:EncapsulatedOCSPValue>` + b64(der) + `</xades:EncapsulatedOCSPValue>` +
			`</xades:OCSPValues></xades:RevocationValues></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
	}
	tail := `<ds:KeyInfo>` + "\n" + `<ds:X509Data>` + "\n" + `<ds:X509Certificate>` + "\n" + wrap76(b64(cert.Raw)) + `</ds:X509Certificate>` + "\n" +
		`</ds:X509Data>` + "\n" + `</ds:KeyInfo>` + "\n" +
		`<ds:Object><xades:QualifyingProperties Target="#signature">` + signedProps +
		unsigned + `</xades:QualifyingProperties></ds:Object>` + "\n" + `</ds:Signature></asic:XAdESSignatures>`

	// Digest the SignedProperties in context (inclusive C14N sees the
	// namespaces declared on the wrapper).
	doc := etree.NewDocument()
	if err := doc.ReadFromString(head + tail); err != nil {
		return nil, fmt.Errorf("seal: internal XML: %w", err)
	}
	sp := findByID(doc.Root(), "signed-properties")
	spC14N, err := dsig.MakeC14N10RecCanonicalizer().Canonicalize(sp)
	if err != nil {
		return nil, fmt.Errorf("seal: canonicalizing SignedProperties: %w", err)
	}
	signedInfo := `<ds:SignedInfo>` + "\n" +
		`<ds:CanonicalizationMethod Algorithm="` + c14n10 + `"/>` + "\n" +
		`<ds:SignatureMethod Algorithm="` + sigAlg + `"/>` + "\n" +
		`<ds:Reference Id="signature-reference-0" URI="` + xmlText(uri) + `">` + "\n" +
		`<ds:DigestMethod Algorithm="` + digURI + `"/>` + "\n" +
		`<ds:DigestValue>` + b64(digest) + `</ds:DigestValue>` + "\n" + `</ds:Reference>` + "\n" +
		`<ds:Reference Id="signature-reference-1" Type="http://uri.etsi.org/01903#SignedProperties" URI="#signed-properties">` + "\n" +
		`<ds:DigestMethod Algorithm="` + digURI + `"/>` + "\n" +
		`<ds:DigestValue>` + b64(sum(o.Hash, spC14N)) + `</ds:DigestValue>` + "\n" + `</ds:Reference>` + "\n" +
		`</ds:SignedInfo>` + "\n"
	doc = etree.NewDocument()
	if err := doc.ReadFromString(head + signedInfo + tail); err != nil {
		return nil, fmt.Errorf("seal: internal XML: %w", err)
	}
	si := doc.Root().FindElement("./Signature/SignedInfo")
	siC14N, err := dsig.MakeC14N10RecCanonicalizer().Canonicalize(si)
	if err != nil {
		return nil, fmt.Errorf("seal: canonicalizing SignedInfo: %w", err)
	}
	sv, err := signBytes(signer, o.Hash, siC14N)
	if err != nil {
		return nil, err
	}
	out := head + signedInfo + `<ds:SignatureValue Id="signature-value">` + "\n" + b64(sv) + "\n" + `</ds:SignatureValue>` + "\n" + tail
	return []byte(out), nil
}

const c14n10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

func signatureMethod(pub crypto.PublicKey, h crypto.Hash) (string, error) {
	var name string
	switch h {
	case crypto.SHA256:
		name = "sha256"
	case crypto.SHA384:
		name = "sha384"
	case crypto.SHA512:
		name = "sha512"
	default:
		return "", fmt.Errorf("seal: unsupported hash %v", h)
	}
	switch pub.(type) {
	case *rsa.PublicKey:
		return "http://www.w3.org/2001/04/xmldsig-more#rsa-" + name, nil
	case *ecdsa.PublicKey:
		return "http://www.w3.org/2001/04/xmldsig-more#ecdsa-" + name, nil
	}
	return "", fmt.Errorf("seal: unsupported key type %T (want RSA or ECDSA)", pub)
}

// signBytes signs data; ECDSA signatures are converted from DER to the
// r||s form XML Signature prescribes.
func signBytes(signer crypto.Signer, h crypto.Hash, data []byte) ([]byte, error) {
	sig, err := signer.Sign(rand.Reader, sum(h, data), h)
	if err != nil {
		return nil, fmt.Errorf("seal: signing: %w", err)
	}
	if pub, ok := signer.Public().(*ecdsa.PublicKey); ok {
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err != nil {
			return nil, fmt.Errorf("seal: ECDSA signature: %w", err)
		}
		n := (pub.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	}
	return sig, nil
}

func (o *Options) withDefaults() *Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Hash == 0 {
		r.Hash = crypto.SHA512
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return &r
}

func sum(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\n")
		s = s[76:]
	}
	b.WriteString(s)
	b.WriteString("\n")
	return b.String()
}

func xmlText(s string) string {
	var b bytes.Buffer
	if err := xmlEscape(&b, s); err != nil {
		return s
	}
	return b.String()
}

func xmlEscape(b *bytes.Buffer, s string) error {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteRune(r)
		}
	}
	return nil
}

// findByID finds the element whose Id (or ID, id) attribute is id.
func findByID(el *etree.Element, id string) *etree.Element {
	for _, a := range el.Attr {
		if (a.Key == "Id" || a.Key == "ID" || a.Key == "id") && a.Space == "" && a.Value == id {
			return el
		}
	}
	for _, c := range el.ChildElements() {
		if f := findByID(c, id); f != nil {
			return f
		}
	}
	return nil
}
