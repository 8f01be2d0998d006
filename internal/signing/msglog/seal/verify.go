package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/internal/xmlguard"
)

// Reference is one ds:Reference of a signature.
type Reference struct {
	URI        string
	Type       string
	Method     string // digest algorithm URI
	Digest     []byte
	Transforms []string
}

// Signature is a parsed signatures.xml.
type Signature struct {
	References      []Reference
	SignatureMethod string
	C14NMethod      string
	SignatureValue  []byte
	Certificate     *x509.Certificate // the signer certificate from KeyInfo
	ExtraCerts      []*x509.Certificate
	SigningTime     time.Time // xades:SigningTime; zero if absent
	// Timestamp is the embedded xades:SignatureTimeStamp token (DER), if any.
	Timestamp []byte
	// OCSP holds the embedded OCSP responses (DER), from
	// xades:RevocationValues/OCSPValues, as X-Road embeds them.
	OCSP [][]byte

	doc      *etree.Document
	sig      *etree.Element
	certHash *certDigest
}

type certDigest struct {
	method string
	value  []byte
}

// Parse parses a signatures.xml (asic:XAdESSignatures holding one
// ds:Signature, or a bare ds:Signature). Structural problems are
// MalformedSignature errors.
func Parse(data []byte) (*Signature, error) {
	if err := xmlguard.Check(data, xmlguard.Limits{}); err != nil {
		return nil, errf(CodeMalformedSignature, err, "signature is not acceptable XML")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, errf(CodeMalformedSignature, err, "signature is not XML")
	}
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Directive); ok {
			return nil, errf(CodeMalformedSignature, nil, "DTD not allowed in signature")
		}
	}
	root := doc.Root()
	if root == nil {
		return nil, errf(CodeMalformedSignature, nil, "empty signature document")
	}
	sigEl := root
	// Any ETSI TS 102 918 version: X-Road wrote v1.1.1 before v1.2.1.
	if root.Tag == "XAdESSignatures" && strings.HasPrefix(root.NamespaceURI(), "http://uri.etsi.org/02918/") {
		sigs := children(root, NSDsig, "Signature")
		if len(sigs) != 1 {
			return nil, errf(CodeMalformedSignature, nil, "want exactly one ds:Signature, found %d", len(sigs))
		}
		sigEl = sigs[0]
	}
	if !is(sigEl, NSDsig, "Signature") {
		return nil, errf(CodeMalformedSignature, nil, "root is %s, not a signature", root.Tag)
	}
	s := &Signature{doc: doc, sig: sigEl}
	si := child(sigEl, NSDsig, "SignedInfo")
	if si == nil {
		return nil, errf(CodeMalformedSignature, nil, "no SignedInfo")
	}
	if c := child(si, NSDsig, "CanonicalizationMethod"); c != nil {
		s.C14NMethod = c.SelectAttrValue("Algorithm", "")
	}
	if c := child(si, NSDsig, "SignatureMethod"); c != nil {
		s.SignatureMethod = c.SelectAttrValue("Algorithm", "")
	}
	for _, r := range children(si, NSDsig, "Reference") {
		ref := Reference{URI: r.SelectAttrValue("URI", ""), Type: r.SelectAttrValue("Type", "")}
		if dm := child(r, NSDsig, "DigestMethod"); dm != nil {
			ref.Method = dm.SelectAttrValue("Algorithm", "")
		}
		dv := child(r, NSDsig, "DigestValue")
		if dv == nil {
			return nil, errf(CodeMalformedSignature, nil, "reference %q has no DigestValue", ref.URI)
		}
		d, err := hashchain.DecodeBase64(dv.Text())
		if err != nil {
			return nil, errf(CodeMalformedSignature, err, "reference %q digest", ref.URI)
		}
		ref.Digest = d
		if ts := child(r, NSDsig, "Transforms"); ts != nil {
			for _, t := range children(ts, NSDsig, "Transform") {
				ref.Transforms = append(ref.Transforms, t.SelectAttrValue("Algorithm", ""))
			}
		}
		s.References = append(s.References, ref)
	}
	if len(s.References) == 0 {
		return nil, errf(CodeMalformedSignature, nil, "signature has no references")
	}
	sv := child(sigEl, NSDsig, "SignatureValue")
	if sv == nil {
		return nil, errf(CodeMalformedSignature, nil, "no SignatureValue")
	}
	v, err := hashchain.DecodeBase64(sv.Text())
	if err != nil {
		return nil, errf(CodeMalformedSignature, err, "SignatureValue")
	}
	s.SignatureValue = v
	if ki := child(sigEl, NSDsig, "KeyInfo"); ki != nil {
		for _, xd := range children(ki, NSDsig, "X509Data") {
			for _, xc := range children(xd, NSDsig, "X509Certificate") {
				der, err := hashchain.DecodeBase64(xc.Text())
				if err != nil {
					return nil, errf(CodeMalformedSignature, err, "X509Certificate")
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, errf(CodeMalformedSignature, err, "X509Certificate")
				}
				if s.Certificate == nil {
					s.Certificate = c
				} else {
					s.ExtraCerts = append(s.ExtraCerts, c)
				}
			}
		}
	}
	if s.Certificate == nil {
		return nil, errf(CodeMalformedSignature, nil, "signature does not contain signing certificate")
	}
	for _, el := range sigEl.FindElements(".//SigningTime") {
		if el.NamespaceURI() == NSXades {
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(el.Text())); err == nil {
				s.SigningTime = t
			}
		}
	}
	for _, el := range sigEl.FindElements(".//CertDigest") {
		if el.NamespaceURI() != NSXades {
			continue
		}
		dm, dv := child(el, NSDsig, "DigestMethod"), child(el, NSDsig, "DigestValue")
		if dm != nil && dv != nil {
			if d, err := hashchain.DecodeBase64(dv.Text()); err == nil {
				s.certHash = &certDigest{method: dm.SelectAttrValue("Algorithm", ""), value: d}
			}
		}
		break
	}
	for _, el := range sigEl.FindElements(".//SignatureTimeStamp") {
		if el.NamespaceURI() != NSXades {
			continue
		}
		if et := child(el, NSXades, "EncapsulatedTimeStamp"); et != nil {
			tok, err := hashchain.DecodeBase64(et.Text())
			if err != nil {
				return nil, errf(CodeMalformedSignature, err, "EncapsulatedTimeStamp")
			}
			s.Timestamp = tok
		}
		break
	}
	for _, el := range sigEl.FindElements(".//EncapsulatedOCSPValue") {
		if el.NamespaceURI() != NSXades {
			continue
		}
		der, err := hashchain.DecodeBase64(el.Text())
		if err != nil {
			return nil, errf(CodeMalformedSignature, err, "EncapsulatedOCSPValue")
		}
		s.OCSP = append(s.OCSP, der)
	}
	return s, nil
}

// SignatureValue returns the decoded ds:SignatureValue of a signatures.xml:
// what the time-stamp of a singly stamped record covers.
func SignatureValue(signatureXML []byte) ([]byte, error) {
	s, err := Parse(signatureXML)
	if err != nil {
		return nil, err
	}
	return s.SignatureValue, nil
}

// Referenced reports whether the signature has a data reference to uri.
func (s *Signature) Referenced(uri string) bool {
	for _, r := range s.References {
		if r.URI == uri {
			return true
		}
	}
	return false
}

// Verify checks every reference and the signature value against the
// embedded certificate. External references ("/message.xml") are read
// through resolve; a reference resolve declines is MalformedSignature, a
// wrong digest or signature value InvalidSignatureValue (as X-Road reports
// both). It does not check the certificate's trust; see package verify.
func (s *Signature) Verify(resolve func(uri string) ([]byte, bool)) error {
	for _, r := range s.References {
		h, err := hashchain.HashOf(r.Method)
		if err != nil {
			return errf(CodeMalformedSignature, err, "reference %q", r.URI)
		}
		var data []byte
		if id, ok := strings.CutPrefix(r.URI, "#"); ok {
			el := findByID(s.doc.Root(), id)
			if el == nil {
				return errf(CodeMalformedSignature, nil, "reference %q not found in signature", r.URI)
			}
			alg := c14n10
			for _, t := range r.Transforms {
				alg = t
			}
			if data, err = canon(el, alg); err != nil {
				return errf(CodeMalformedSignature, err, "reference %q", r.URI)
			}
		} else {
			if len(r.Transforms) > 0 {
				return errf(CodeMalformedSignature, nil, "transforms on external reference %q are not supported", r.URI)
			}
			var ok bool
			if data, ok = resolve(r.URI); !ok {
				return errf(CodeMalformedSignature, nil, "cannot resolve reference %q", r.URI)
			}
		}
		if subtle.ConstantTimeCompare(sum(h, data), r.Digest) != 1 {
			return errf(CodeInvalidSignatureValue, nil, "digest of reference %q does not match", r.URI)
		}
	}
	if ch := s.certHash; ch != nil {
		if h, err := hashchain.HashOf(ch.method); err == nil && !bytes.Equal(sum(h, s.Certificate.Raw), ch.value) {
			return errf(CodeMalformedSignature, nil, "SigningCertificate digest does not match the embedded certificate")
		}
	}
	si := child(s.sig, NSDsig, "SignedInfo")
	alg := s.C14NMethod
	if alg == "" {
		alg = c14n10
	}
	canonical, err := canon(si, alg)
	if err != nil {
		return errf(CodeMalformedSignature, err, "canonicalizing SignedInfo")
	}
	if err := checkSignature(s.Certificate.PublicKey, s.SignatureMethod, canonical, s.SignatureValue); err != nil {
		return err
	}
	return nil
}

func checkSignature(pub crypto.PublicKey, method string, data, sig []byte) error {
	name := method[strings.LastIndexAny(method, "#")+1:]
	var h crypto.Hash
	switch {
	case strings.HasSuffix(name, "sha256"), strings.HasPrefix(name, "sha256"):
		h = crypto.SHA256
	case strings.HasSuffix(name, "sha384"), strings.HasPrefix(name, "sha384"):
		h = crypto.SHA384
	case strings.HasSuffix(name, "sha512"), strings.HasPrefix(name, "sha512"):
		h = crypto.SHA512
	default:
		return errf(CodeMalformedSignature, nil, "unsupported signature method %q", method)
	}
	digest := sum(h, data)
	bad := errf(CodeInvalidSignatureValue, nil, "signature is not valid")
	switch {
	case strings.HasPrefix(name, "rsa-"):
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errf(CodeMalformedSignature, nil, "signature method %q does not match key type %T", method, pub)
		}
		if rsa.VerifyPKCS1v15(k, h, digest, sig) != nil {
			return bad
		}
	case strings.HasSuffix(name, "-rsa-MGF1"):
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errf(CodeMalformedSignature, nil, "signature method %q does not match key type %T", method, pub)
		}
		if rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) != nil {
			return bad
		}
	case strings.HasPrefix(name, "ecdsa-"):
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || len(sig)%2 != 0 {
			return errf(CodeMalformedSignature, nil, "signature method %q does not match key type %T", method, pub)
		}
		r := new(big.Int).SetBytes(sig[:len(sig)/2])
		s := new(big.Int).SetBytes(sig[len(sig)/2:])
		if !ecdsa.Verify(k, digest, r, s) {
			return bad
		}
	default:
		return errf(CodeMalformedSignature, nil, "unsupported signature method %q", method)
	}
	return nil
}

func canon(el *etree.Element, alg string) ([]byte, error) {
	var c dsig.Canonicalizer
	switch alg {
	case c14n10:
		c = dsig.MakeC14N10RecCanonicalizer()
	case c14n10 + "#WithComments":
		c = dsig.MakeC14N10WithCommentsCanonicalizer()
	case "http://www.w3.org/2001/10/xml-exc-c14n#":
		// Exclusive C14N rewrites its input: work on a detached copy that
		// carries the namespaces declared above el.
		ctx, err := etreeutils.NSBuildParentContext(el)
		if err != nil {
			return nil, err
		}
		if el, err = etreeutils.NSDetatch(ctx, el); err != nil {
			return nil, err
		}
		c = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	case "http://www.w3.org/2006/12/xml-c14n11":
		c = dsig.MakeC14N11Canonicalizer()
	default:
		return nil, fmt.Errorf("unsupported canonicalization %q", alg)
	}
	return c.Canonicalize(el)
}

func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

func child(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}
