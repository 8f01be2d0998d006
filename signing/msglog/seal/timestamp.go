package seal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/tunduk-kg/tunduk/signing/msglog/hashchain"
)

// StampFunc obtains an RFC 3161 time-stamp token (DER ContentInfo) over
// data from a TSA; it hashes data itself for the request's imprint.
// signing/tsa's client fits behind it.
type StampFunc func(ctx context.Context, data []byte) (token []byte, err error)

// Timestamp is the time-stamp evidence of one record's container when it
// was stamped as part of a batch (META-INF/timestamp.tst,
// ts-hashchainresult.xml, ts-hashchain.xml).
type Timestamp struct {
	Token           []byte
	HashChainResult []byte
	HashChain       []byte
}

// StampBatch time-stamps the signatures of a batch of records (each
// record's signatures.xml, in order) the way X-Road does. For one record
// the token covers its SignatureValue and is embedded in its signature:
// the returned signature differs and the Timestamp is nil. For several, a
// hash chain is built over the signatures.xml files, the token covers the
// ts-hashchainresult.xml, signatures are returned unchanged and each
// record gets a Timestamp.
func StampBatch(ctx context.Context, stamp StampFunc, signatures [][]byte) ([][]byte, []*Timestamp, error) {
	switch len(signatures) {
	case 0:
		return nil, nil, errors.New("seal: nothing to time-stamp")
	case 1:
		sv, err := SignatureValue(signatures[0])
		if err != nil {
			return nil, nil, err
		}
		tok, err := stamp(ctx, sv)
		if err != nil {
			return nil, nil, fmt.Errorf("seal: time-stamping: %w", err)
		}
		sig, err := EmbedTimestamp(signatures[0], tok)
		if err != nil {
			return nil, nil, err
		}
		return [][]byte{sig}, []*Timestamp{nil}, nil
	}
	b, _ := hashchain.NewBuilder(crypto.SHA512)
	for _, s := range signatures {
		b.Add(sum(crypto.SHA512, s))
	}
	tree, err := b.Finish()
	if err != nil {
		return nil, nil, fmt.Errorf("seal: %w", err)
	}
	result := tree.Result(URITSHashChain)
	tok, err := stamp(ctx, result)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: time-stamping: %w", err)
	}
	out := make([]*Timestamp, len(signatures))
	for i := range signatures {
		out[i] = &Timestamp{Token: tok, HashChainResult: result, HashChain: tree.Chain(i, URISignatures)}
	}
	return signatures, out, nil
}

// EmbedTimestamp returns signatureXML with token added as the XAdES
// SignatureTimeStamp (unsigned property), where X-Road keeps the
// time-stamp of a singly stamped record.
func EmbedTimestamp(signatureXML, token []byte) ([]byte, error) {
	ts := `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp>` +
		`<xades:EncapsulatedTimeStamp>` + base64.StdEncoding.EncodeToString(token) + `</xades:EncapsulatedTimeStamp>` +
		`</xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
	end := []byte(`</xades:QualifyingProperties>`)
	i := bytes.LastIndex(signatureXML, end)
	if usp := []byte("<xades:UnsignedSignatureProperties>"); i >= 0 && bytes.Count(signatureXML, usp) == 1 &&
		!bytes.Contains(signatureXML, []byte("<xades:SignatureTimeStamp")) {
		// Unsigned properties already hold the OCSP response: the
		// time-stamp goes first among them.
		ts = `<xades:SignatureTimeStamp><xades:EncapsulatedTimeStamp>` + base64.StdEncoding.EncodeToString(token) +
			`</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>`
		i = bytes.Index(signatureXML, usp) + len(usp)
	} else if i < 0 || bytes.Contains(signatureXML, []byte("<xades:UnsignedProperties")) {
		return nil, errf(CodeMalformedSignature, nil, "cannot embed time-stamp: no QualifyingProperties or already has unsigned properties")
	}
	out := make([]byte, 0, len(signatureXML)+len(ts))
	out = append(out, signatureXML[:i]...)
	out = append(out, ts...)
	return append(out, signatureXML[i:]...), nil
}

// TokenInfo is what a verified time-stamp token says.
type TokenInfo struct {
	GenTime time.Time
	Hash    crypto.Hash
	Signer  *x509.Certificate // the TSA certificate that verified it; nil if unchecked
	// SignatureChecked is false when neither the token nor the trust
	// material held the TSA certificate, so only the imprint was checked.
	SignatureChecked bool
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	SerialNumber *big.Int
	GenTime      time.Time `asn1:"generalized"`
}

var hashOIDs = map[string]crypto.Hash{
	"1.3.14.3.2.26":          crypto.SHA1,
	"2.16.840.1.101.3.4.2.1": crypto.SHA256,
	"2.16.840.1.101.3.4.2.2": crypto.SHA384,
	"2.16.840.1.101.3.4.2.3": crypto.SHA512,
}

// VerifyToken checks that an RFC 3161 token (DER ContentInfo) covers data
// and is signed by one of tsaCerts (the trust material's TSA
// certificates) or, when tsaCerts is empty, by the certificate the token
// embeds. Validity periods are not checked against the current time: the
// token speaks for its genTime. Codes follow X-Road's TimestampVerifier:
// an imprint mismatch is MalformedSignature, a bad signature
// TimestampValidation, an unknown TSA InternalError.
func VerifyToken(token, data []byte, tsaCerts []*x509.Certificate) (*TokenInfo, error) {
	return verifyToken(token, func(h crypto.Hash) []byte { return sum(h, data) }, tsaCerts)
}

// VerifyTokenDigest is VerifyToken for a caller that holds only the
// digest of the stamped data (computed with the token's imprint hash).
func VerifyTokenDigest(token, digest []byte, tsaCerts []*x509.Certificate) (*TokenInfo, error) {
	return verifyToken(token, func(crypto.Hash) []byte { return digest }, tsaCerts)
}

// pkcs7Mu serializes pkcs7.Parse, whose BER decoder writes a package
// global (a data race under concurrent verification).
var pkcs7Mu sync.Mutex

// parsePKCS7 is pkcs7.Parse made safe for untrusted input: its BER
// decoder panics on some malformed tokens (an index out of range on a
// 17-byte token found by FuzzVerifyToken), which would let one crafted
// timestamp.tst stop a verifier or archive collector.
func parsePKCS7(token []byte) (p7 *pkcs7.PKCS7, err error) {
	pkcs7Mu.Lock()
	defer pkcs7Mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("malformed CMS structure (decoder panic: %v)", r)
		}
	}()
	return pkcs7.Parse(token)
}

func verifyToken(token []byte, imprint func(crypto.Hash) []byte, tsaCerts []*x509.Certificate) (info *TokenInfo, err error) {
	// p7.Verify walks the same untrusted structure: a panic there is a
	// failed check too.
	defer func() {
		if r := recover(); r != nil {
			info, err = nil, errf(CodeTimestampValidation, fmt.Errorf("%v", r), "malformed time-stamp token")
		}
	}()
	p7, err := parsePKCS7(token)
	if err != nil {
		return nil, errf(CodeTimestampValidation, err, "time-stamp token is not CMS SignedData")
	}
	var ti tstInfo
	if _, err := asn1.Unmarshal(p7.Content, &ti); err != nil {
		return nil, errf(CodeTimestampValidation, err, "time-stamp token has no TSTInfo")
	}
	h, ok := hashOIDs[ti.MessageImprint.HashAlgorithm.Algorithm.String()]
	if !ok || !h.Available() {
		return nil, errf(CodeTimestampValidation, nil, "unsupported imprint algorithm %v", ti.MessageImprint.HashAlgorithm.Algorithm)
	}
	if subtle.ConstantTimeCompare(imprint(h), ti.MessageImprint.HashedMessage) != 1 {
		return nil, errf(CodeMalformedSignature, nil, "timestamp hashes do not match")
	}
	info = &TokenInfo{GenTime: ti.GenTime, Hash: h}
	if len(p7.Signers) != 1 {
		return nil, errf(CodeTimestampValidation, nil, "time-stamp token has %d signers", len(p7.Signers))
	}
	certs := p7.Certificates
	if len(tsaCerts) > 0 {
		// Trust only configured TSAs: find the signer among them.
		ias := p7.Signers[0].IssuerAndSerialNumber
		var match *x509.Certificate
		for _, c := range tsaCerts {
			if c.SerialNumber.Cmp(ias.SerialNumber) == 0 && bytes.Equal(c.RawIssuer, ias.IssuerName.FullBytes) {
				match = c
			}
		}
		if match == nil {
			return nil, errf(CodeTSPCertNotFound, nil, "could not find TSP certificate for time-stamp")
		}
		certs = []*x509.Certificate{match}
		info.Signer = match
	}
	if len(certs) == 0 {
		return info, nil
	}
	p7.Certificates = certs
	if err := p7.Verify(); err != nil {
		return nil, errf(CodeTimestampValidation, err, "failed to verify time-stamp")
	}
	if info.Signer == nil {
		info.Signer = p7.GetOnlySigner()
	}
	info.SignatureChecked = true
	return info, nil
}
