//go:build cgo

package pkcs11kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/signing/kms"
)

// Scheme is the URI scheme pkcs11kms registers.
const Scheme = "pkcs11"

func init() {
	kms.Register(Scheme, func(ctx context.Context, opts kms.Options) (kms.KeyManager, error) {
		return New(ctx, opts)
	})
}

// KeyManager is a kms.KeyManager on one PKCS#11 token. It holds one
// logged-in read-write session; operations on it are serialised, which a
// PKCS#11 session requires.
type KeyManager struct {
	p p11
	// release gives the module back, first running done (under the module
	// lock) with last set when no other KeyManager uses the module.
	release func(done func(last bool))
	log     *zap.Logger

	mu     sync.Mutex
	sh     pkcs11.SessionHandle
	slot   uint
	label  string // token label
	serial string // token serial
	closed bool
}

var (
	_ kms.KeyManager         = (*KeyManager)(nil)
	_ kms.CertificateManager = (*KeyManager)(nil)
)

// New loads the module named by opts.URI's module-path, opens the token the
// URI names and logs in with the PIN.
func New(_ context.Context, opts kms.Options) (*KeyManager, error) {
	u, err := kms.ParseURI(opts.URI)
	if err != nil {
		return nil, err
	}
	if u.Scheme != Scheme {
		return nil, fmt.Errorf("pkcs11kms: %q is not a pkcs11: URI: %w", u, kms.ErrInvalidURI)
	}
	modPath := u.Query("module-path")
	if modPath == "" {
		return nil, fmt.Errorf("pkcs11kms: %s: no module-path (e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so, or the Rutoken library librtpkcs11ecp.so): %w", u, kms.ErrInvalidURI)
	}
	pin := opts.PIN
	if pin == "" {
		if pin, err = u.PIN(); err != nil {
			return nil, fmt.Errorf("pkcs11kms: %w", err)
		}
	}
	if pin == "" {
		return nil, fmt.Errorf("pkcs11kms: %s: no PIN: add pin-source=FILE to the URI or set the key's pinFile in the configuration: %w", u, kms.ErrInvalidURI)
	}
	ctx, release, err := loadModule(modPath)
	if err != nil {
		return nil, err
	}
	km, err := open(ctx, u, pin, opts.Log())
	if err != nil {
		release(nil)
		return nil, err
	}
	km.release = release
	km.log.Info("token opened", zap.String("module", modPath))
	return km, nil
}

// Modules are loaded once per process: C_Finalize in one KeyManager must
// not pull the module from under another.
var (
	modMu   sync.Mutex
	modules = map[string]*module{}
)

type module struct {
	ctx  *pkcs11.Ctx
	refs int
}

func loadModule(path string) (p11, func(done func(last bool)), error) {
	modMu.Lock()
	defer modMu.Unlock()
	m := modules[path]
	if m == nil {
		ctx := pkcs11.New(path)
		if ctx == nil {
			return nil, nil, fmt.Errorf("pkcs11kms: cannot load PKCS#11 module %s (missing file, or not a PKCS#11 library)", path)
		}
		if err := ctx.Initialize(); err != nil && !isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			ctx.Destroy()
			return nil, nil, fmt.Errorf("pkcs11kms: initializing %s: %w", path, err)
		}
		m = &module{ctx: ctx}
		modules[path] = m
	}
	m.refs++
	var once sync.Once
	return m.ctx, func(done func(last bool)) {
		once.Do(func() {
			modMu.Lock()
			defer modMu.Unlock()
			m.refs--
			if done != nil {
				done(m.refs == 0)
			}
			if m.refs == 0 {
				m.ctx.Finalize()
				m.ctx.Destroy()
				delete(modules, path)
			}
		})
	}, nil
}

func isCKR(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

// open selects the token, opens a session and logs in.
func open(p p11, u *kms.URI, pin string, log *zap.Logger) (*KeyManager, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("pkcs11kms: listing slots: %w", err)
	}
	wantLabel, wantSerial, wantSlot := u.Path("token"), u.Path("serial"), u.Get("slot-id")
	var found []string
	km := &KeyManager{p: p}
	ok := false
	for _, s := range slots {
		ti, err := p.GetTokenInfo(s)
		if err != nil {
			continue
		}
		label, serial := strings.TrimRight(ti.Label, " \x00"), strings.TrimRight(ti.SerialNumber, " \x00")
		found = append(found, fmt.Sprintf("%q (slot %d)", label, s))
		if wantLabel != "" && label != wantLabel || wantSerial != "" && serial != wantSerial ||
			wantSlot != "" && strconv.FormatUint(uint64(s), 10) != wantSlot {
			continue
		}
		if ok {
			return nil, fmt.Errorf("pkcs11kms: %s matches more than one token (%s); add serial= or slot-id=: %w", u, strings.Join(found, ", "), kms.ErrInvalidURI)
		}
		ok, km.slot, km.label, km.serial = true, s, label, serial
	}
	if !ok {
		return nil, fmt.Errorf("pkcs11kms: no token matches %s; tokens present: [%s]: %w", u, strings.Join(found, ", "), kms.ErrNotFound)
	}
	km.sh, err = p.OpenSession(km.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return nil, fmt.Errorf("pkcs11kms: opening session on token %q: %w", km.label, err)
	}
	if err := p.Login(km.sh, pkcs11.CKU_USER, pin); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		p.CloseSession(km.sh)
		if isCKR(err, pkcs11.CKR_PIN_INCORRECT) {
			return nil, fmt.Errorf("pkcs11kms: login to token %q: wrong PIN (the token locks after repeated failures): %w", km.label, err)
		}
		return nil, fmt.Errorf("pkcs11kms: login to token %q: %w", km.label, err)
	}
	km.log = log.With(zap.String("kms", Scheme), zap.String("token", km.label), zap.Uint("slot", km.slot))
	return km, nil
}

// Token returns the label and serial number of the opened token.
func (k *KeyManager) Token() (label, serial string) { return k.label, k.serial }

// Close closes the session and releases the module, logging out of the
// token when no other KeyManager in the process still uses it.
func (k *KeyManager) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	var err error
	done := func(last bool) {
		// Login state belongs to the token and the whole process: log out
		// only when no other KeyManager still relies on it.
		if last {
			k.p.Logout(k.sh)
		}
		err = k.p.CloseSession(k.sh)
	}
	if k.release == nil { // built by open directly (tests)
		done(true)
	} else {
		k.release(done)
	}
	if err != nil {
		return fmt.Errorf("pkcs11kms: closing session: %w", err)
	}
	return nil
}

// keyRef is the object selector of a key URI.
type keyRef struct {
	uri   *kms.URI
	label string
	id    []byte
}

func (k *KeyManager) ref(name string) (keyRef, error) {
	u, err := kms.ParseURI(name)
	if err != nil {
		return keyRef{}, err
	}
	if u.Scheme != Scheme {
		return keyRef{}, fmt.Errorf("pkcs11kms: key URI %q is not a pkcs11: URI: %w", u, kms.ErrInvalidURI)
	}
	if t := u.Path("token"); t != "" && t != k.label {
		return keyRef{}, fmt.Errorf("pkcs11kms: key %s is on token %q but this manager opened %q: %w", u, t, k.label, kms.ErrInvalidURI)
	}
	r := keyRef{uri: u, label: u.Path("object"), id: []byte(u.Path("id"))}
	if r.label == "" && len(r.id) == 0 {
		return keyRef{}, fmt.Errorf("pkcs11kms: key URI %s names no object= or id=: %w", u, kms.ErrInvalidURI)
	}
	return r, nil
}

func (r keyRef) template(class uint) []*pkcs11.Attribute {
	t := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)}
	if r.label != "" {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_LABEL, r.label))
	}
	if len(r.id) > 0 {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_ID, r.id))
	}
	return t
}

// find returns the handles of objects matching a template; k.mu is held.
func (k *KeyManager) find(t []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := k.p.FindObjectsInit(k.sh, t); err != nil {
		return nil, fmt.Errorf("pkcs11kms: find: %w", err)
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := k.p.FindObjects(k.sh, 16)
		if err != nil {
			k.p.FindObjectsFinal(k.sh)
			return nil, fmt.Errorf("pkcs11kms: find: %w", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := k.p.FindObjectsFinal(k.sh); err != nil {
		return nil, fmt.Errorf("pkcs11kms: find: %w", err)
	}
	return all, nil
}

// findOne returns the one object of a class the reference names.
func (k *KeyManager) findOne(r keyRef, class uint, what string) (pkcs11.ObjectHandle, error) {
	hs, err := k.find(r.template(class))
	if err != nil {
		return 0, err
	}
	switch len(hs) {
	case 0:
		return 0, fmt.Errorf("pkcs11kms: no %s %s on token %q: %w", what, r.uri, k.label, kms.ErrNotFound)
	case 1:
		return hs[0], nil
	}
	return 0, fmt.Errorf("pkcs11kms: %d %ss match %s on token %q; add id= to choose one: %w", len(hs), what, r.uri, k.label, kms.ErrInvalidURI)
}

func (k *KeyManager) attrs(h pkcs11.ObjectHandle, types ...uint) ([][]byte, error) {
	t := make([]*pkcs11.Attribute, len(types))
	for i, typ := range types {
		t[i] = pkcs11.NewAttribute(typ, nil)
	}
	got, err := k.p.GetAttributeValue(k.sh, h, t)
	if err != nil {
		return nil, fmt.Errorf("pkcs11kms: reading attributes: %w", err)
	}
	out := make([][]byte, len(types))
	for _, a := range got {
		for i, typ := range types {
			if a.Type == typ {
				out[i] = a.Value
			}
		}
	}
	return out, nil
}

func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

// Curves by DER-encoded named-curve OID (CKA_EC_PARAMS).
var curves = []struct {
	alg    kms.Algorithm
	curve  elliptic.Curve
	params []byte
}{
	{kms.ECDSAP256, elliptic.P256(), mustOID(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})},
	{kms.ECDSAP384, elliptic.P384(), mustOID(asn1.ObjectIdentifier{1, 3, 132, 0, 34})},
}

func mustOID(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		panic(err)
	}
	return b
}

// CreateKey generates a key pair on the token, labelled with the URI's
// object and given its id (or a random 16-byte id). The returned Name
// carries token, object and id.
func (k *KeyManager) CreateKey(req *kms.CreateKeyRequest) (*kms.CreateKeyResponse, error) {
	r, err := k.ref(req.Name)
	if err != nil {
		return nil, err
	}
	if r.label == "" {
		return nil, fmt.Errorf("pkcs11kms: CreateKey needs object=LABEL in %s: %w", r.uri, kms.ErrInvalidURI)
	}
	alg := req.Algorithm
	if alg == "" {
		alg = kms.DefaultAlgorithm
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if hs, err := k.find(keyRef{label: r.label}.template(pkcs11.CKO_PRIVATE_KEY)); err != nil {
		return nil, err
	} else if len(hs) > 0 {
		return nil, fmt.Errorf("pkcs11kms: a private key labelled %q is already on token %q: %w", r.label, k.label, kms.ErrAlreadyExists)
	}
	if len(r.id) == 0 {
		r.id = make([]byte, 16)
		rand.Read(r.id)
	}
	common := func(class uint) []*pkcs11.Attribute {
		return []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, r.label),
			pkcs11.NewAttribute(pkcs11.CKA_ID, r.id),
		}
	}
	pubT := append(common(pkcs11.CKO_PUBLIC_KEY), pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true))
	privT := append(common(pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false))
	var mech uint
	switch {
	case alg.RSABits() > 0:
		mech = pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN
		pubT = append(pubT, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, alg.RSABits()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
		privT = append(privT, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA))
	case alg.IsECDSA():
		mech = pkcs11.CKM_EC_KEY_PAIR_GEN
		for _, c := range curves {
			if c.alg == alg {
				pubT = append(pubT, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
					pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, c.params))
			}
		}
		privT = append(privT, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC))
	default:
		return nil, fmt.Errorf("pkcs11kms: algorithm %q: %w", alg, kms.ErrUnsupported)
	}
	pubH, _, err := k.p.GenerateKeyPair(k.sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, pubT, privT)
	if err != nil {
		return nil, fmt.Errorf("pkcs11kms: generating %s key %q on token %q: %w", alg, r.label, k.label, err)
	}
	pub, err := k.publicFrom(pubH)
	if err != nil {
		return nil, err
	}
	r.uri.SetPath("token", k.label)
	r.uri.SetPath("id", string(r.id))
	k.log.Info("key generated", zap.String("key", r.uri.String()), zap.String("algorithm", string(alg)),
		zap.String("id", hex.EncodeToString(r.id)), zap.String("spki_sha256", kms.Fingerprint(pub)))
	return &kms.CreateKeyResponse{Name: r.uri.Encode(), PublicKey: pub}, nil
}

// publicFrom reads a public key (or an RSA private key's public
// attributes) from an object; k.mu is held.
func (k *KeyManager) publicFrom(h pkcs11.ObjectHandle) (crypto.PublicKey, error) {
	v, err := k.attrs(h, pkcs11.CKA_KEY_TYPE)
	if err != nil {
		return nil, err
	}
	switch ulong(v[0]) {
	case pkcs11.CKK_RSA:
		v, err := k.attrs(h, pkcs11.CKA_MODULUS, pkcs11.CKA_PUBLIC_EXPONENT)
		if err != nil {
			return nil, err
		}
		e := new(big.Int).SetBytes(v[1])
		if len(v[0]) == 0 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31 {
			return nil, fmt.Errorf("pkcs11kms: malformed RSA public key on token")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(v[0]), E: int(e.Int64())}, nil
	case pkcs11.CKK_EC:
		v, err := k.attrs(h, pkcs11.CKA_EC_PARAMS, pkcs11.CKA_EC_POINT)
		if err != nil {
			return nil, err
		}
		return ecPublic(v[0], v[1])
	}
	return nil, fmt.Errorf("pkcs11kms: key type %#x: %w", ulong(v[0]), kms.ErrUnsupported)
}

func ecPublic(params, point []byte) (crypto.PublicKey, error) {
	var curve elliptic.Curve
	for _, c := range curves {
		if string(c.params) == string(params) {
			curve = c.curve
		}
	}
	if curve == nil {
		return nil, fmt.Errorf("pkcs11kms: EC curve %x: %w", params, kms.ErrUnsupported)
	}
	// CKA_EC_POINT is a DER OCTET STRING holding the uncompressed point;
	// some modules return the bare point.
	var raw []byte
	if rest, err := asn1.Unmarshal(point, &raw); err != nil || len(rest) > 0 {
		raw = point
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
	if err != nil {
		return nil, fmt.Errorf("pkcs11kms: malformed EC point on token: %w", err)
	}
	return pub, nil
}

// publicKey finds the key's public half: the public-key object, else the
// private key's own attributes (RSA), else its certificate.
func (k *KeyManager) publicKey(r keyRef, priv pkcs11.ObjectHandle) (crypto.PublicKey, error) {
	if h, err := k.findOne(r, pkcs11.CKO_PUBLIC_KEY, "public key"); err == nil {
		return k.publicFrom(h)
	}
	if pub, err := k.publicFrom(priv); err == nil {
		return pub, nil
	}
	if c, err := k.loadCert(r); err == nil {
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("pkcs11kms: no public key or certificate for %s on token %q: %w", r.uri, k.label, kms.ErrNotFound)
}

// GetPublicKey returns the public key of the key the URI names.
func (k *KeyManager) GetPublicKey(req *kms.GetPublicKeyRequest) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, _, pub, err := k.keyPair(req.Name)
	return pub, err
}

// keyPair returns the reference, private key object and public key of the
// key the URI names; k.mu is held.
func (k *KeyManager) keyPair(name string) (keyRef, pkcs11.ObjectHandle, crypto.PublicKey, error) {
	r, err := k.ref(name)
	if err != nil {
		return keyRef{}, 0, nil, err
	}
	priv, err := k.findOne(r, pkcs11.CKO_PRIVATE_KEY, "private key")
	if err != nil {
		return keyRef{}, 0, nil, err
	}
	pub, err := k.publicKey(r, priv)
	if err != nil {
		return keyRef{}, 0, nil, err
	}
	return r, priv, pub, nil
}

// CreateSigner returns a signer for the private key the URI names.
func (k *KeyManager) CreateSigner(req *kms.CreateSignerRequest) (crypto.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r, priv, pub, err := k.keyPair(req.SigningKey)
	if err != nil {
		return nil, err
	}
	k.log.Info("signer opened", zap.String("key", r.uri.String()), zap.String("spki_sha256", kms.Fingerprint(pub)))
	return &signer{km: k, priv: priv, pub: pub, name: r.uri.String()}, nil
}

// StoreCertificate writes a certificate object with the key's label and id.
func (k *KeyManager) StoreCertificate(req *kms.StoreCertificateRequest) error {
	r, err := k.ref(req.Name)
	if err != nil {
		return err
	}
	c := req.Certificate
	if c == nil {
		return fmt.Errorf("pkcs11kms: StoreCertificate: no certificate")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	// Take label and id from the private key so the three objects agree.
	priv, err := k.findOne(r, pkcs11.CKO_PRIVATE_KEY, "private key")
	if err != nil {
		return err
	}
	v, err := k.attrs(priv, pkcs11.CKA_LABEL, pkcs11.CKA_ID)
	if err != nil {
		return err
	}
	serial, err := asn1.Marshal(c.SerialNumber)
	if err != nil {
		return fmt.Errorf("pkcs11kms: %w", err)
	}
	_, err = k.p.CreateObject(k.sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, v[0]),
		pkcs11.NewAttribute(pkcs11.CKA_ID, v[1]),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, c.RawSubject),
		pkcs11.NewAttribute(pkcs11.CKA_ISSUER, c.RawIssuer),
		pkcs11.NewAttribute(pkcs11.CKA_SERIAL_NUMBER, serial),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, c.Raw),
	})
	if err != nil {
		return fmt.Errorf("pkcs11kms: storing certificate for %s: %w", r.uri, err)
	}
	k.log.Info("certificate stored", zap.String("key", r.uri.String()), zap.String("subject", c.Subject.String()),
		zap.String("serial", c.SerialNumber.Text(16)), zap.Time("not_after", c.NotAfter))
	return nil
}

// LoadCertificate returns the certificate stored with the key. With
// several (a renewed certificate), the one that expires last wins.
func (k *KeyManager) LoadCertificate(req *kms.LoadCertificateRequest) (*x509.Certificate, error) {
	r, err := k.ref(req.Name)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.loadCert(r)
}

func (k *KeyManager) loadCert(r keyRef) (*x509.Certificate, error) {
	hs, err := k.find(r.template(pkcs11.CKO_CERTIFICATE))
	if err != nil {
		return nil, err
	}
	var best *x509.Certificate
	for _, h := range hs {
		v, err := k.attrs(h, pkcs11.CKA_VALUE)
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(v[0])
		if err != nil {
			return nil, fmt.Errorf("pkcs11kms: certificate for %s on token: %w", r.uri, err)
		}
		if best == nil || c.NotAfter.After(best.NotAfter) {
			best = c
		}
	}
	if best == nil {
		return nil, fmt.Errorf("pkcs11kms: no certificate for %s on token %q: %w", r.uri, k.label, kms.ErrNotFound)
	}
	return best, nil
}
