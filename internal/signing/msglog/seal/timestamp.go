package seal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
)

// StampFunc obtains an RFC 3161 time-stamp token (DER ContentInfo) over
// data from a TSA; it hashes data itself for the request's imprint.
// internal/signing/tsa's client fits behind it.
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

// verifyToken applies X-Road's trust rule and error codes on top of the
// one RFC 3161 token parser (internal/signing/tsa), which is guarded against
// hostile tokens.
func verifyToken(token []byte, imprint func(crypto.Hash) []byte, tsaCerts []*x509.Certificate) (*TokenInfo, error) {
	pt, err := tsa.ParseToken(token)
	if err != nil {
		return nil, errf(CodeTimestampValidation, err, "time-stamp token is not a valid RFC 3161 token")
	}
	h := pt.Info.HashAlgorithm
	if !h.Available() {
		return nil, errf(CodeTimestampValidation, nil, "unsupported imprint algorithm %v", h)
	}
	if subtle.ConstantTimeCompare(imprint(h), pt.Info.HashedMessage) != 1 {
		return nil, errf(CodeMalformedSignature, nil, "timestamp hashes do not match")
	}
	info := &TokenInfo{GenTime: pt.Info.Time, Hash: h}
	candidates := pt.Embedded
	if len(tsaCerts) > 0 {
		// Trust only configured TSAs: find the signer among them.
		if info.Signer = pt.Signer(tsaCerts); info.Signer == nil {
			return nil, errf(CodeTSPCertNotFound, nil, "could not find TSP certificate for time-stamp")
		}
		candidates = []*x509.Certificate{info.Signer}
	}
	if len(candidates) == 0 {
		return info, nil
	}
	signer := pt.Signer(candidates)
	if signer == nil {
		return nil, errf(CodeTimestampValidation, nil, "failed to verify time-stamp: the token embeds no certificate of its signer")
	}
	if err := pt.VerifySignature(signer); err != nil {
		return nil, errf(CodeTimestampValidation, err, "failed to verify time-stamp")
	}
	info.Signer = signer
	info.SignatureChecked = true
	return info, nil
}
