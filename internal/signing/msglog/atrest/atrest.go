// Package atrest encrypts message-log archives at rest with AES-256-GCM
// under a 32-byte key kept in a file.
//
// The stream is chunked so that archives of any size are written and read
// in constant memory, and truncation or reordering is detected:
//
//	magic "TUNDUK-MLOG-AES256GCM-1\n" | nonce prefix (8 random bytes)
//	chunk*: length uint32 (big-endian, ciphertext bytes) | ciphertext
//
// Chunk i (from 0) holds up to 64 KiB of plaintext sealed with nonce =
// prefix || uint32(i) and additional data {1} for the last chunk, {0} for
// the others, so a stream cut at a chunk boundary fails to open (the STREAM
// construction of Hoang, Reyhanitabar, Rogaway and Vizár).
//
// Non-goals: key management (the key is a file the operator protects, as
// X-Road's archive GPG keys are) and key rotation inside a file.
package atrest

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Magic starts every encrypted archive.
const Magic = "TUNDUK-MLOG-AES256GCM-1\n"

// Suffix is appended to an encrypted archive's name (mlog-….zip.enc).
const Suffix = ".enc"

const chunkSize = 64 << 10

// ErrDecrypt means the key is wrong or the file was altered or truncated.
var ErrDecrypt = errors.New("atrest: cannot decrypt: wrong key, or the file was altered or truncated")

// LoadKey reads a key file holding 32 bytes, raw or as 64 hex digits.
func LoadKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("atrest: %w", err)
	}
	if len(data) == 32 {
		return data, nil
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("atrest: %s: want 32 raw bytes or 64 hex digits", path)
	}
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("atrest: key must be 32 bytes (AES-256)")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("atrest: %w", err)
	}
	return cipher.NewGCM(b)
}

type writer struct {
	w      io.Writer
	aead   cipher.AEAD
	prefix [8]byte
	n      uint32
	buf    []byte
	out    []byte
	closed bool
}

// NewWriter returns a writer that encrypts into w; Close writes the last
// chunk (it does not close w).
func NewWriter(w io.Writer, key []byte) (io.WriteCloser, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	ew := &writer{w: w, aead: aead, buf: make([]byte, 0, chunkSize)}
	if _, err := rand.Read(ew.prefix[:]); err != nil {
		return nil, fmt.Errorf("atrest: %w", err)
	}
	if _, err := io.WriteString(w, Magic); err != nil {
		return nil, err
	}
	if _, err := w.Write(ew.prefix[:]); err != nil {
		return nil, err
	}
	return ew, nil
}

func (e *writer) nonce(i uint32) []byte {
	n := make([]byte, 12)
	copy(n, e.prefix[:])
	binary.BigEndian.PutUint32(n[8:], i)
	return n
}

func (e *writer) flush(last bool) error {
	ad := []byte{0}
	if last {
		ad[0] = 1
	}
	e.out = e.aead.Seal(e.out[:0], e.nonce(e.n), e.buf, ad)
	e.n++
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(e.out)))
	if _, err := e.w.Write(l[:]); err != nil {
		return err
	}
	_, err := e.w.Write(e.out)
	e.buf = e.buf[:0]
	return err
}

func (e *writer) Write(p []byte) (int, error) {
	if e.closed {
		return 0, errors.New("atrest: write after close")
	}
	n := 0
	for len(p) > 0 {
		if len(e.buf) == chunkSize {
			if err := e.flush(false); err != nil {
				return n, err
			}
		}
		k := copy(e.buf[len(e.buf):chunkSize], p)
		e.buf = e.buf[:len(e.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (e *writer) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	return e.flush(true)
}

// Decrypt reads a whole encrypted archive and returns the plaintext (the
// zip). It fails with ErrDecrypt on a wrong key or any alteration.
func Decrypt(r io.Reader, key []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(r)
	head := make([]byte, len(Magic)+8)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("atrest: not an encrypted archive: %w", ErrDecrypt)
	}
	e := &writer{}
	copy(e.prefix[:], head[len(Magic):])
	var out []byte
	var l [4]byte
	ct := make([]byte, 0, chunkSize+aead.Overhead())
	for {
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return nil, fmt.Errorf("atrest: truncated: %w", ErrDecrypt)
		}
		n := binary.BigEndian.Uint32(l[:])
		if n > chunkSize+uint32(aead.Overhead()) {
			return nil, fmt.Errorf("atrest: bad chunk length: %w", ErrDecrypt)
		}
		ct = ct[:n]
		if _, err := io.ReadFull(br, ct); err != nil {
			return nil, fmt.Errorf("atrest: truncated: %w", ErrDecrypt)
		}
		_, err := br.Peek(1)
		last := err == io.EOF
		ad := []byte{0}
		if last {
			ad[0] = 1
		}
		out, err = aead.Open(out, e.nonce(e.n), ct, ad)
		if err != nil {
			return nil, fmt.Errorf("atrest: chunk %d: %w", e.n, ErrDecrypt)
		}
		e.n++
		if last {
			return out, nil
		}
	}
}

// IsEncrypted reports whether data starts like an encrypted archive.
func IsEncrypted(data []byte) bool {
	return strings.HasPrefix(string(data[:min(len(data), len(Magic))]), Magic)
}
