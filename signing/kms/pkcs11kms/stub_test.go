//go:build cgo

package pkcs11kms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"
	"sync"

	"github.com/miekg/pkcs11"
)

// stubToken is an in-memory PKCS#11 token behind the p11 seam. It keeps
// real Go keys so signatures verify, and enforces what a token would:
// login before private objects, one find and one sign operation at a time
// per session, no reading of sensitive attributes.
type stubToken struct {
	mu       sync.Mutex
	label    string
	pin      string
	loggedIn bool
	sessions map[pkcs11.SessionHandle]*stubSession
	nextH    uint
	objects  map[pkcs11.ObjectHandle]*stubObject
	signs    int
}

type stubSession struct {
	found   []pkcs11.ObjectHandle
	finding bool
	signKey *stubObject
	mech    *pkcs11.Mechanism
}

type stubObject struct {
	attrs map[uint][]byte
	key   crypto.Signer // private keys only
}

func newStubToken(label, pin string) *stubToken {
	return &stubToken{label: label, pin: pin, sessions: map[pkcs11.SessionHandle]*stubSession{}, objects: map[pkcs11.ObjectHandle]*stubObject{}, nextH: 1}
}

var _ p11 = (*stubToken)(nil)

func ckErr(code uint) error { return pkcs11.Error(code) }

func (s *stubToken) Initialize(...pkcs11.InitializeOption) error { return nil }
func (s *stubToken) Finalize() error                             { return nil }
func (s *stubToken) GetSlotList(bool) ([]uint, error)            { return []uint{7}, nil }

func (s *stubToken) GetTokenInfo(slot uint) (pkcs11.TokenInfo, error) {
	if slot != 7 {
		return pkcs11.TokenInfo{}, ckErr(pkcs11.CKR_SLOT_ID_INVALID)
	}
	return pkcs11.TokenInfo{Label: fmt.Sprintf("%-32s", s.label), SerialNumber: "0000stub"}, nil
}

func (s *stubToken) OpenSession(slot uint, flags uint) (pkcs11.SessionHandle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slot != 7 {
		return 0, ckErr(pkcs11.CKR_SLOT_ID_INVALID)
	}
	if flags&pkcs11.CKF_SERIAL_SESSION == 0 {
		return 0, ckErr(pkcs11.CKR_SESSION_PARALLEL_NOT_SUPPORTED)
	}
	h := pkcs11.SessionHandle(s.nextH)
	s.nextH++
	s.sessions[h] = &stubSession{}
	return h, nil
}

func (s *stubToken) session(sh pkcs11.SessionHandle) (*stubSession, error) {
	ss := s.sessions[sh]
	if ss == nil {
		return nil, ckErr(pkcs11.CKR_SESSION_HANDLE_INVALID)
	}
	return ss, nil
}

func (s *stubToken) CloseSession(sh pkcs11.SessionHandle) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.session(sh); err != nil {
		return err
	}
	delete(s.sessions, sh)
	return nil
}

func (s *stubToken) Login(sh pkcs11.SessionHandle, userType uint, pin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.session(sh); err != nil {
		return err
	}
	if s.loggedIn {
		return ckErr(pkcs11.CKR_USER_ALREADY_LOGGED_IN)
	}
	if userType != pkcs11.CKU_USER || pin != s.pin {
		return ckErr(pkcs11.CKR_PIN_INCORRECT)
	}
	s.loggedIn = true
	return nil
}

func (s *stubToken) Logout(pkcs11.SessionHandle) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loggedIn = false
	return nil
}

func (s *stubToken) visible(o *stubObject) bool {
	return s.loggedIn || !bytes.Equal(o.attrs[pkcs11.CKA_PRIVATE], []byte{1})
}

func (s *stubToken) FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.session(sh)
	if err != nil {
		return err
	}
	if ss.finding {
		return ckErr(pkcs11.CKR_OPERATION_ACTIVE)
	}
	ss.finding, ss.found = true, nil
	for h, o := range s.objects {
		match := s.visible(o)
		for _, a := range temp {
			if !bytes.Equal(o.attrs[a.Type], a.Value) {
				match = false
			}
		}
		if match {
			ss.found = append(ss.found, h)
		}
	}
	return nil
}

func (s *stubToken) FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.session(sh)
	if err != nil {
		return nil, false, err
	}
	if !ss.finding {
		return nil, false, ckErr(pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	}
	n := min(max, len(ss.found))
	out := ss.found[:n]
	ss.found = ss.found[n:]
	return out, false, nil
}

func (s *stubToken) FindObjectsFinal(sh pkcs11.SessionHandle) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.session(sh)
	if err != nil {
		return err
	}
	ss.finding = false
	return nil
}

func (s *stubToken) GetAttributeValue(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.session(sh); err != nil {
		return nil, err
	}
	o := s.objects[h]
	if o == nil || !s.visible(o) {
		return nil, ckErr(pkcs11.CKR_OBJECT_HANDLE_INVALID)
	}
	out := make([]*pkcs11.Attribute, len(a))
	for i, at := range a {
		if at.Type == pkcs11.CKA_VALUE && o.key != nil {
			return nil, ckErr(pkcs11.CKR_ATTRIBUTE_SENSITIVE)
		}
		v, ok := o.attrs[at.Type]
		if !ok {
			return nil, ckErr(pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)
		}
		out[i] = pkcs11.NewAttribute(at.Type, v)
	}
	return out, nil
}

func (s *stubToken) add(temp []*pkcs11.Attribute, key crypto.Signer) pkcs11.ObjectHandle {
	o := &stubObject{attrs: map[uint][]byte{}, key: key}
	for _, a := range temp {
		o.attrs[a.Type] = a.Value
	}
	h := pkcs11.ObjectHandle(s.nextH)
	s.nextH++
	s.objects[h] = o
	return h
}

func (s *stubToken) GenerateKeyPair(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, pubT, privT []*pkcs11.Attribute) (pkcs11.ObjectHandle, pkcs11.ObjectHandle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.session(sh); err != nil {
		return 0, 0, err
	}
	if !s.loggedIn {
		return 0, 0, ckErr(pkcs11.CKR_USER_NOT_LOGGED_IN)
	}
	get := func(t []*pkcs11.Attribute, typ uint) []byte {
		for _, a := range t {
			if a.Type == typ {
				return a.Value
			}
		}
		return nil
	}
	var key crypto.Signer
	var extra []*pkcs11.Attribute
	switch m[0].Mechanism {
	case pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN:
		bits := int(binary.NativeEndian.Uint64(get(pubT, pkcs11.CKA_MODULUS_BITS)))
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return 0, 0, err
		}
		key = k
		extra = []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
		}
	case pkcs11.CKM_EC_KEY_PAIR_GEN:
		params := get(pubT, pkcs11.CKA_EC_PARAMS)
		var curve elliptic.Curve
		for _, c := range curves {
			if bytes.Equal(c.params, params) {
				curve = c.curve
			}
		}
		if curve == nil {
			return 0, 0, ckErr(pkcs11.CKR_DOMAIN_PARAMS_INVALID)
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return 0, 0, err
		}
		key = k
		pt, _ := k.PublicKey.Bytes()
		der, _ := asn1.Marshal(pt)
		extra = []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, der), pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params)}
	default:
		return 0, 0, ckErr(pkcs11.CKR_MECHANISM_INVALID)
	}
	pub := s.add(append(append([]*pkcs11.Attribute(nil), pubT...), extra...), nil)
	privExtra := extra
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		privExtra = extra[1:] // tokens keep CKA_EC_PARAMS but not the point on the private key
	}
	priv := s.add(append(append([]*pkcs11.Attribute(nil), privT...), privExtra...), key)
	return pub, priv, nil
}

func (s *stubToken) CreateObject(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) (pkcs11.ObjectHandle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.session(sh); err != nil {
		return 0, err
	}
	if !s.loggedIn {
		return 0, ckErr(pkcs11.CKR_USER_NOT_LOGGED_IN)
	}
	return s.add(temp, nil), nil
}

func (s *stubToken) SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, h pkcs11.ObjectHandle) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.session(sh)
	if err != nil {
		return err
	}
	if ss.signKey != nil {
		return ckErr(pkcs11.CKR_OPERATION_ACTIVE)
	}
	o := s.objects[h]
	if o == nil || o.key == nil || !s.visible(o) {
		return ckErr(pkcs11.CKR_KEY_HANDLE_INVALID)
	}
	ss.signKey, ss.mech = o, m[0]
	return nil
}

func (s *stubToken) Sign(sh pkcs11.SessionHandle, data []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.session(sh)
	if err != nil {
		return nil, err
	}
	o, mech := ss.signKey, ss.mech
	ss.signKey, ss.mech = nil, nil
	if o == nil {
		return nil, ckErr(pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	}
	s.signs++
	switch k := o.key.(type) {
	case *rsa.PrivateKey:
		switch mech.Mechanism {
		case pkcs11.CKM_RSA_PKCS:
			return rsa.SignPKCS1v15(rand.Reader, k, 0, data)
		case pkcs11.CKM_RSA_PKCS_PSS:
			p := mech.Parameter // CK_RSA_PKCS_PSS_PARAMS: hashAlg, mgf, sLen as CK_ULONGs
			hashMech := uint(binary.NativeEndian.Uint64(p[0:8]))
			salt := int(binary.NativeEndian.Uint64(p[16:24]))
			h := map[uint]crypto.Hash{pkcs11.CKM_SHA256: crypto.SHA256, pkcs11.CKM_SHA384: crypto.SHA384, pkcs11.CKM_SHA512: crypto.SHA512}[hashMech]
			return rsa.SignPSS(rand.Reader, k, h, data, &rsa.PSSOptions{SaltLength: salt, Hash: h})
		}
	case *ecdsa.PrivateKey:
		if mech.Mechanism == pkcs11.CKM_ECDSA {
			r, s, err := ecdsa.Sign(rand.Reader, k, data)
			if err != nil {
				return nil, err
			}
			n := (k.Curve.Params().BitSize + 7) / 8
			out := make([]byte, 2*n)
			r.FillBytes(out[:n])
			s.FillBytes(out[n:])
			return out, nil
		}
	}
	return nil, ckErr(pkcs11.CKR_MECHANISM_INVALID)
}
