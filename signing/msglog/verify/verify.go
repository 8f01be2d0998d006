// Package verify is the independent verifier of X-Road message-log
// evidence: single ASiC-E containers (.asice), mlog-*.zip archives and
// whole chains of archives, written by tunduk or by an X-Road security
// server. It needs only the files and, optionally, the trust material of
// the X-Road instance (see [LoadTrust]); it never touches the running
// service or its store.
//
// For a container it checks, in X-Road's order (AsicContainerVerifier,
// SignatureVerifier): the structure (AsicContainer.read), that the
// signature references message.xml or the batch hash chain result, the
// time-stamp (batch hash chain and imprint, TSA signature), the
// batch-signature hash chain, that the signing certificate belongs to the
// member who signs message.xml (verifySignerName: a SOAP request's client,
// a response's service provider, the REST forms likewise), every signature
// reference and the signature value and, with trust material, the
// certificate chain and the embedded OCSP response of the signing
// certificate at the time-stamp's (or else the signing) time
// (CertChainVerifier). For an archive it checks linkinginfo (every
// container's linking digest, the link to the previous archive) and every
// container. For a set of archives it orders each group (directory) by
// their links and reports duplicates, overlaps, gaps, forks, a second
// chain start, an unanchored start (anchors: -f, --prev, a verified
// retention tombstone), a truncated archive and a change of signing
// certificate.
//
// Given checkpoints held by a third party (ChainOptions.Checkpoints), it
// recomputes each group's transparency-log tree (signing/tlog) from the
// archived records, streamed in chain order, and checks each checkpoint's
// signature and that the archives' tree at its size has its root (see
// tlog.go and CheckpointReport).
//
// Failures carry X-Road's error codes (InvalidSignatureValue,
// MalformedSignature.InvalidHashChainRef, AsicMessageNotFound, …) and name
// the file and the container. Non-goals: fetching OCSP responses or CRLs
// (only embedded responses are checked), decrypting .zip.gpg.
//
// XML input limits: every document read into a tree here is first checked
// by internal/xmlguard in one linear pass — at most 16 MiB, nesting 128,
// 256 attributes per element, no repeated attribute (etree would keep the
// last one silently, X-Road's parser refuses it), no DTD.
// Containers are read within asic.Limits (entry, container and inflate
// ratio bounds), the message inside within soap.Limits.
//
// Public API: auditors' tools may import this package: it is the independent verifier of tunduk's and X-Road's message-log archives. Everything under internal/ is tunduk's own and may change
// without notice.
package verify

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/beevik/etree"

	"github.com/tunduk-kg/tunduk/internal/xmlguard"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/hashchain"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
)

// Options configure verification. The zero value verifies without trust
// material.
type Options struct {
	// Trust adds certificate-chain and TSA checks; nil skips them (the
	// report says so).
	Trust  *Trust
	Limits asic.Limits
	Logger *zap.Logger
	// Progress, if set, is called after each container or file with the
	// bytes done and the total bytes of the run.
	Progress func(done, total int64)
	// Decrypt holds the OpenPGP private keys that open a security
	// server's encrypted archives (*.zip.gpg); see ReadKeyRing.
	Decrypt openpgp.EntityList
}

// Problem is one verification failure.
type Problem struct {
	File      string `json:"file"`
	Container string `json:"container,omitempty"` // entry inside an archive
	Code      string `json:"code"`                // X-Road error code
	Message   string `json:"message"`
	Err       error  `json:"-"`
}

func (p *Problem) Error() string {
	where := p.File
	if p.Container != "" {
		where += ": " + p.Container
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Code, p.Message)
}

// Unwrap returns the cause.
func (p *Problem) Unwrap() error { return p.Err }

// ErrorCode returns the X-Road error code.
func (p *Problem) ErrorCode() string { return p.Code }

// CodeOf returns the X-Road error code carried by err (any error of
// packages asic, seal, hashchain or verify), or "InternalError".
func CodeOf(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return "InternalError"
}

// ContainerInfo describes a verified container.
type ContainerInfo struct {
	Signer string `json:"signer,omitempty"` // subject of the signing certificate
	// SignerID identifies the signing certificate: its subject and the
	// start of its SHA-256 fingerprint.
	SignerID    string    `json:"signerId,omitempty"`
	SigningTime time.Time `json:"signingTime,omitzero"`
	Timestamp   time.Time `json:"timestamp,omitzero"` // genTime, if time-stamped
	Batch       bool      `json:"batchSignature,omitempty"`
	BatchTS     bool      `json:"batchTimestamp,omitempty"`
	OCSP        bool      `json:"ocspChecked,omitempty"` // the embedded OCSP response was checked
	Warnings    []string  `json:"warnings,omitempty"`
}

// Verifier verifies containers (safe for concurrent use), caching the checks batch members share
// (one batch signature and one time-stamp cover many containers).
type Verifier struct {
	opts  Options
	log   *zap.Logger
	mu    sync.Mutex
	cache map[[32]byte]cached
	// idents remembers the SHA-256 of shared parts by address (partDigest).
	idents     map[ident]identDigest
	identBytes int
	// signers caches signerNames by parsed signature.
	signers map[*seal.Signature][2]string
	// entries inflates the entries a batch's containers share once.
	entries *asic.Cache
}

type cached struct {
	err  error
	info *seal.TokenInfo
	sig  *seal.Signature
	refs *[]manifestRef
	res  *hashchain.Result
	// issuer is the signing certificate's issuer found by chain.
	issuer *x509.Certificate
}

// New returns a Verifier.
func New(opts Options) *Verifier {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Verifier{opts: opts, log: log, cache: map[[32]byte]cached{}, idents: map[ident]identDigest{}, signers: map[*seal.Signature][2]string{}, entries: asic.NewCache(0)}
}

func (v *Verifier) lookup(k [32]byte) (cached, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.cache[k]
	return c, ok
}

func (v *Verifier) remember(k [32]byte, c cached) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) > 4096 {
		clear(v.cache)
	}
	v.cache[k] = c
}

// key is the cache key of parts: SHA-256 over each part's length and
// bytes, or, for a part of 512 bytes or more, its own SHA-256, which is
// remembered by where the part is (partDigest).
func (v *Verifier) key(parts ...[]byte) [32]byte {
	h := sha256.New()
	var n [9]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[1:], uint64(len(p)))
		if len(p) >= 512 {
			n[0] = 1
			d := v.partDigest(p)
			h.Write(n[:])
			h.Write(d[:])
			continue
		}
		n[0] = 0
		h.Write(n[:])
		h.Write(p)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// partDigest returns SHA-256(p). The containers of a batch share their
// signature, time-stamp and hash chain result as the same slices (read
// once through asic.Cache, parsed once), so the digest is remembered by
// the slice's address and length: a batch's shared parts are hashed once,
// not once per container and check. The memo holds the slice, so its
// memory cannot hold other bytes while the entry lives (entries are never
// modified), and it holds at most maxIdentBytes.
func (v *Verifier) partDigest(p []byte) [32]byte {
	k := ident{unsafe.SliceData(p), len(p)}
	v.mu.Lock()
	e, ok := v.idents[k]
	v.mu.Unlock()
	if ok {
		return e.d
	}
	d := sha256.Sum256(p)
	v.mu.Lock()
	if v.identBytes+len(p) > maxIdentBytes {
		clear(v.idents)
		v.identBytes = 0
	}
	v.idents[k] = identDigest{b: p, d: d}
	v.identBytes += len(p)
	v.mu.Unlock()
	return d
}

// signerNames returns the signer's subject and its identification with
// the certificate's fingerprint, once per parsed signature (a batch's
// containers share one).
func (v *Verifier) signerNames(sig *seal.Signature) (string, string) {
	v.mu.Lock()
	n, ok := v.signers[sig]
	v.mu.Unlock()
	if ok {
		return n[0], n[1]
	}
	subject := sig.Certificate.Subject.String()
	fp := sha256.Sum256(sig.Certificate.Raw)
	n = [2]string{subject, fmt.Sprintf("%s [SHA-256 %x…]", subject, fp[:8])}
	v.mu.Lock()
	if len(v.signers) >= 1024 {
		clear(v.signers)
	}
	v.signers[sig] = n
	v.mu.Unlock()
	return n[0], n[1]
}

// maxIdentBytes bounds the bytes partDigest's memo keeps alive.
const maxIdentBytes = 8 << 20

type ident struct {
	p *byte
	n int
}

type identDigest struct {
	b []byte // keeps the memory at p alive
	d [32]byte
}

// Container verifies one ASiC-E container given as zip bytes. The error,
// if any, carries an X-Road code (see CodeOf).
func (v *Verifier) Container(data []byte) (*ContainerInfo, error) {
	c, err := v.entries.Read(data, v.opts.Limits)
	if err != nil {
		return nil, err
	}
	return v.verifyContainer(c)
}

func (v *Verifier) verifyContainer(c *asic.Container) (*ContainerInfo, error) {
	info := &ContainerInfo{}
	sig, err := v.parseSignature(c.Signature)
	if err != nil {
		return nil, err
	}
	info.Signer, info.SignerID = v.signerNames(sig)
	info.SigningTime = sig.SigningTime
	if !sig.Referenced(seal.URIMessage) && !sig.Referenced(seal.URISigHashChainRes) {
		return nil, &seal.Error{Code: seal.CodeMalformedSignature,
			Detail: fmt.Sprintf("signature does not reference %q or %q", seal.URIMessage, seal.URISigHashChainRes)}
	}

	// Time-stamp, as X-Road checks it first.
	atDate := sig.SigningTime
	tsInfo, err := v.timestamp(c, sig)
	switch {
	case err != nil:
		return nil, err
	case tsInfo == nil:
		info.Warnings = append(info.Warnings, "not time-stamped: the signing time is only the signer's claim")
	default:
		info.Timestamp = tsInfo.GenTime
		info.BatchTS = c.TSHashChainResult != nil
		atDate = tsInfo.GenTime
		if !tsInfo.SignatureChecked {
			info.Warnings = append(info.Warnings, "time-stamp signature not checked: no TSA certificate (give --verificationconf)")
		}
	}

	// Batch signature: the message must be covered by the signed hash chain.
	if c.SigHashChainResult != nil && sig.Referenced(seal.URISigHashChainRes) {
		info.Batch = true
		res, err := v.hashChainResult(c.SigHashChainResult)
		if err == nil {
			err = hashchain.VerifyResult(res, c.Entry, map[string]*hashchain.Digest{seal.URIMessage: nil})
		}
		if err != nil {
			return nil, &seal.Error{Code: seal.CodeMalformedSignature + "." + CodeOf(err), Detail: "batch signature hash chain", Err: err}
		}
	}
	// SignatureVerifier.verifySignerName: the certificate belongs to the
	// member who signs message.xml.
	if w, _, err := checkSigner(c, sig.Certificate); err != nil {
		return nil, err
	} else if w != "" {
		info.Warnings = append(info.Warnings, w)
	}
	if err := v.signature(c, sig); err != nil {
		return nil, err
	}
	if t := v.opts.Trust; t != nil {
		if atDate.IsZero() {
			atDate = sig.Certificate.NotBefore
		}
		issuer, err := v.chain(sig, atDate)
		if err != nil {
			return nil, &seal.Error{Code: seal.CodeCertValidation, Detail: "signing certificate is not from an approved CA at " + atDate.UTC().Format(time.RFC3339), Err: err}
		}
		// CertChainVerifier.verify(ocspResponses, atDate): the signing
		// certificate's OCSP response, embedded in the signature, says it
		// was good at atDate.
		if len(sig.OCSP) == 0 {
			info.Warnings = append(info.Warnings, "no OCSP response embedded for the signing certificate (X-Road's asicverifier requires one)")
		} else if err := v.ocsp(sig, issuer, atDate); err != nil {
			return nil, err
		} else {
			info.OCSP = true
		}
	} else {
		info.Warnings = append(info.Warnings, "certificate chain not checked (give --verificationconf)")
	}
	return info, nil
}

// chain checks the signer certificate against the trust material at
// atDate; a batch shares one result.
func (v *Verifier) chain(sig *seal.Signature, atDate time.Time) (*x509.Certificate, error) {
	t := v.opts.Trust
	at, _ := atDate.MarshalBinary()
	k := v.key([]byte("chain"), sig.Certificate.Raw, at)
	if r, ok := v.lookup(k); ok && r.sig == nil && r.info == nil && r.res == nil && r.refs == nil {
		return r.issuer, r.err
	}
	inter := t.Inter.Clone()
	for _, x := range sig.ExtraCerts {
		inter.AddCert(x)
	}
	chains, err := sig.Certificate.Verify(x509.VerifyOptions{Roots: t.Roots, Intermediates: inter, CurrentTime: atDate,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	var issuer *x509.Certificate
	if err == nil && len(chains) > 0 && len(chains[0]) > 1 {
		issuer = chains[0][1]
	}
	v.remember(k, cached{err: err, issuer: issuer})
	return issuer, err
}

// ocsp checks the signing certificate's embedded OCSP responses: one must
// be about it, signed by its issuer or the issuer's delegated responder,
// and say it was good at atDate. A batch shares one result.
func (v *Verifier) ocsp(sig *seal.Signature, issuer *x509.Certificate, atDate time.Time) error {
	if issuer == nil {
		return &seal.Error{Code: seal.CodeCertValidation, Detail: "issuer of the signing certificate not found for its OCSP response"}
	}
	at, _ := atDate.MarshalBinary()
	parts := [][]byte{[]byte("ocsp"), sig.Certificate.Raw, at}
	parts = append(parts, sig.OCSP...)
	k := v.key(parts...)
	if r, ok := v.lookup(k); ok && r.sig == nil && r.info == nil && r.res == nil && r.refs == nil {
		return r.err
	}
	var err error
	for _, der := range sig.OCSP {
		if _, err = seal.CheckOCSP(der, sig.Certificate, issuer, atDate); err == nil {
			break
		}
	}
	v.remember(k, cached{err: err})
	return err
}

func (v *Verifier) parseSignature(b []byte) (*seal.Signature, error) {
	k := v.key([]byte("sig"), b)
	if c, ok := v.lookup(k); ok && c.sig != nil {
		return c.sig, nil
	}
	s, err := seal.Parse(b)
	if err != nil {
		return nil, err
	}
	v.remember(k, cached{sig: s})
	return s, nil
}

// signature checks references and the signature value; the result for a
// batch signature over sig-hashchainresult.xml is shared by the batch.
func (v *Verifier) signature(c *asic.Container, sig *seal.Signature) error {
	shareable := !sig.Referenced(seal.URIMessage)
	for _, r := range sig.References {
		if !strings.HasPrefix(r.URI, "#") && r.URI != seal.URISigHashChainRes {
			shareable = false
		}
	}
	var k [32]byte
	if shareable {
		k = v.key([]byte("sigv"), c.Signature, c.SigHashChainResult)
		if r, ok := v.lookup(k); ok && r.sig == nil && r.info == nil {
			return r.err
		}
	}
	err := sig.Verify(c.Entry)
	if shareable {
		v.remember(k, cached{err: err})
	}
	return err
}

// timestamp verifies the container's time-stamp, batch or embedded; nil
// info and nil error mean the container is not time-stamped.
func (v *Verifier) timestamp(c *asic.Container, sig *seal.Signature) (*seal.TokenInfo, error) {
	var token, data []byte
	if c.TSHashChainResult != nil {
		res, err := v.hashChainResult(c.TSHashChainResult)
		if err == nil {
			err = hashchain.VerifyResult(res, c.Entry, map[string]*hashchain.Digest{seal.URISignatures: nil})
		}
		if err != nil {
			return nil, &seal.Error{Code: seal.CodeMalformedSignature, Detail: "failed to verify time-stamp hash chain", Err: err}
		}
		if c.Timestamp == nil {
			return nil, &asic.Error{Code: asic.CodeTimestampNotFound, Detail: "batch time-stamp hash chain without META-INF/timestamp.tst"}
		}
		if c.ASiCManifest != nil {
			if err := v.checkASiCManifest(c); err != nil {
				return nil, err
			}
		}
		token, data = c.Timestamp, c.TSHashChainResult
	} else {
		token = sig.Timestamp
		if token == nil {
			token = c.Timestamp
		}
		data = sig.SignatureValue
	}
	if token == nil {
		return nil, nil
	}
	var tsas []*x509.Certificate
	if v.opts.Trust != nil {
		tsas = v.opts.Trust.TSAs
		if len(tsas) == 0 {
			return nil, &seal.Error{Code: seal.CodeTSPCertNotFound, Detail: "no TSP service providers are configured"}
		}
	}
	k := v.key([]byte("ts"), token, data)
	if r, ok := v.lookup(k); ok && r.sig == nil {
		return r.info, r.err
	}
	info, err := seal.VerifyToken(token, data, tsas)
	v.remember(k, cached{info: info, err: err})
	return info, err
}

// hashChainResult parses a HashChainResult document, which a batch's
// containers share, once.
func (v *Verifier) hashChainResult(b []byte) (*hashchain.Result, error) {
	k := v.key([]byte("hcres"), b)
	if r, ok := v.lookup(k); ok && (r.res != nil || r.err != nil) {
		return r.res, r.err
	}
	res, err := hashchain.ParseResult(b)
	v.remember(k, cached{res: res, err: err})
	return res, err
}

// manifestRef is one DataObjectReference of ASiCManifest.xml; err is a
// structural problem reported when the checks reach it.
type manifestRef struct {
	uri    string
	hash   crypto.Hash
	want   []byte
	b64err bool
	err    error
}

// asicManifest parses ASiCManifest.xml; the batch's containers share it,
// so the parse is cached by content.
func (v *Verifier) asicManifest(b []byte) ([]manifestRef, error) {
	k := v.key([]byte("asicm"), b)
	if r, ok := v.lookup(k); ok && r.refs != nil {
		return *r.refs, r.err
	}
	refs, err := parseASiCManifest(b)
	v.remember(k, cached{refs: &refs, err: err})
	return refs, err
}

func parseASiCManifest(b []byte) ([]manifestRef, error) {
	if err := xmlguard.Check(b, xmlguard.Limits{}); err != nil {
		return nil, &seal.Error{Code: seal.CodeMalformedSignature, Detail: "ASiCManifest.xml is not acceptable XML", Err: err}
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, &seal.Error{Code: seal.CodeMalformedSignature, Detail: "ASiCManifest.xml is not XML", Err: err}
	}
	root := doc.Root()
	if root == nil {
		return nil, &seal.Error{Code: seal.CodeMalformedSignature, Detail: "ASiCManifest.xml is empty"}
	}
	var refs []manifestRef
	for _, ref := range root.FindElements("./DataObjectReference") {
		r := manifestRef{uri: ref.SelectAttrValue("URI", "")}
		dm, dv := ref.FindElement("./DigestMethod"), ref.FindElement("./DigestValue")
		if dm == nil || dv == nil {
			r.err = &seal.Error{Code: seal.CodeMalformedSignature, Detail: "ASiCManifest reference " + r.uri + " lacks a digest"}
			refs = append(refs, r)
			continue
		}
		h, err := hashchain.HashOf(dm.SelectAttrValue("Algorithm", ""))
		if err != nil {
			r.err = &seal.Error{Code: seal.CodeMalformedSignature, Detail: "ASiCManifest reference " + r.uri, Err: err}
			refs = append(refs, r)
			continue
		}
		r.hash = h
		r.want, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(dv.Text()), ""))
		r.b64err = err != nil
		refs = append(refs, r)
	}
	return refs, nil
}

// checkASiCManifest checks the digests ASiCManifest.xml states for the
// time-stamped data objects.
func (v *Verifier) checkASiCManifest(c *asic.Container) error {
	refs, err := v.asicManifest(c.ASiCManifest)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.err != nil {
			return r.err
		}
		data, ok := c.Entry("/" + strings.TrimPrefix(r.uri, "/"))
		if !ok || r.b64err {
			return &seal.Error{Code: seal.CodeInvalidReference, Detail: "ASiCManifest reference " + r.uri + " cannot be resolved"}
		}
		hh := r.hash.New()
		hh.Write(data)
		if !bytes.Equal(hh.Sum(nil), r.want) {
			return &seal.Error{Code: seal.CodeInvalidReference, Detail: "ASiCManifest digest of " + r.uri + " does not match"}
		}
	}
	return nil
}
