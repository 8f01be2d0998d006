package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// EncryptedSuffix ends the name of an archive the security server
// encrypted with OpenPGP (X-Road's archive encryption: gpg to the
// archive-encryption keys of the member).
const EncryptedSuffix = ".zip.gpg"

// maxDecrypted bounds a decrypted archive (X-Road rotates archives long
// before this).
const maxDecrypted = 16 << 30

// ReadKeyRing reads OpenPGP private keys (armored or binary, as `gpg
// --export-secret-keys` writes them) for Options.Decrypt. Keys protected
// by a passphrase are refused: export them unprotected to a file only the
// auditor can read.
func ReadKeyRing(path string) (openpgp.EntityList, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verify: OpenPGP key: %w", err)
	}
	var el openpgp.EntityList
	if blk, aerr := armor.Decode(bytes.NewReader(b)); aerr == nil {
		el, err = openpgp.ReadKeyRing(blk.Body)
	} else {
		el, err = openpgp.ReadKeyRing(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("verify: OpenPGP key %s: %w", path, err)
	}
	for _, e := range el {
		if e.PrivateKey == nil {
			return nil, fmt.Errorf("verify: OpenPGP key %s holds no private key (export it with gpg --export-secret-keys)", path)
		}
		if e.PrivateKey.Encrypted {
			return nil, fmt.Errorf("verify: OpenPGP key %s is passphrase-protected: export it unprotected to a file only you can read", path)
		}
	}
	return el, nil
}

// decrypt writes the plaintext of an encrypted archive to a private
// temporary file (removed by the caller) and returns its path: archives
// are verified from files, streamed, never held whole in memory.
func (v *Verifier) decrypt(path string) (string, error) {
	if len(v.opts.Decrypt) == 0 {
		return "", errors.New("archive is OpenPGP-encrypted: give the decryption key (--gpg-key)")
	}
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	var r io.Reader = in
	if blk, err := armor.Decode(in); err == nil {
		r = blk.Body
	} else if _, err := in.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	md, err := openpgp.ReadMessage(r, v.opts.Decrypt, nil, nil)
	if err != nil {
		return "", fmt.Errorf("decrypting: %w (is the right key given?)", err)
	}
	tmp, err := os.CreateTemp("", "tunduk-verify-*.zip")
	if err != nil {
		return "", err
	}
	n, err := io.Copy(tmp, io.LimitReader(md.UnverifiedBody, maxDecrypted+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxDecrypted {
		err = fmt.Errorf("decrypted archive over %d bytes", int64(maxDecrypted))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("decrypting: %w", err)
	}
	// Reading to EOF checked the integrity protection (MDC / AEAD).
	return tmp.Name(), nil
}

// ArchiveFile verifies one archive file, streamed from disk; an
// OpenPGP-encrypted one (*.zip.gpg) is decrypted first with
// Options.Decrypt. Like Archive, its chain is anchored by co.
func (v *Verifier) ArchiveFile(path string, co ChainOptions) *FileReport {
	fr := &FileReport{Path: path, Kind: "archive"}
	file := path
	if strings.HasSuffix(path, EncryptedSuffix) {
		tmp, err := v.decrypt(path)
		if err != nil {
			fr.Problems = append(fr.Problems, &Problem{File: path, Code: CodeReadFile, Message: err.Error(), Err: err})
			return fr
		}
		defer os.Remove(tmp)
		file = tmp
	}
	st, err := os.Stat(file)
	if err != nil {
		fr.Problems = append(fr.Problems, &Problem{File: path, Code: CodeReadFile, Message: err.Error(), Err: err})
		return fr
	}
	fr.Bytes = st.Size()
	x, err := v.scanArchive(path, file, "", fr)
	if err != nil {
		fr.Problems = append(fr.Problems, err.(*Problem))
		return fr
	}
	v.archiveFile(x, co.Prev, co.First, func(int64) {}, nil, nil)
	return fr
}
